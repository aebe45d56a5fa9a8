"""审计日志 for staff: search by date, action, actor and target, region scope,
names not codes, masked ID numbers, Excel export (itself audited)."""

import datetime
import io
import re
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.core.models import AuditEvent
from lifecert.demo import testing
from lifecert.exports.xlsx import CONTENT_TYPE as XLSX

pytestmark = pytest.mark.django_db

LIST = reverse("backoffice:audit-list")
EXPORT = reverse("backoffice:audit-export")
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def events(personas):
    """Events in the staff's region, in the other region and with no region."""
    with time_machine.travel(datetime.datetime(2026, 3, 1, 10, tzinfo=SHANGHAI)):
        audit.record(
            AuditAction.CERTIFICATION_CREATE,
            acting_user=personas.staff,
            target=personas.entitlement,
            after={"channel": "counter"},
        )
    with time_machine.travel(datetime.datetime(2026, 3, 5, 10, tzinfo=SHANGHAI)):
        audit.record(
            AuditAction.BINDING_UPDATE,
            acting_user=personas.unit_user,
            target=personas.unit,
            after={
                "name": "王经办",
                "phone": "13900139000",
                "id_number": "43060319920301203X",
            },
        )
        audit.record(
            AuditAction.FACE_SESSION_START,
            acting_user=personas.pensioner_user,
            target=personas.entitlement,
        )
    other = testing.make_entitlement(region=personas.other_region)
    audit.record(
        AuditAction.ENTITLEMENT_SUSPEND,
        acting_user=personas.outsider_staff,
        target=other,
    )
    audit.record(AuditAction.FACE_SESSION_PURGE, acting_user=None)
    return other


def _page(client, **params):
    """The table of results (the form's action list names every action)."""
    response = client.get(LIST, params)
    assert response.status_code == 200
    return response.content.decode().split("<tbody>")[1]


def test_anonymous_goes_to_login_and_other_kinds_are_refused(client, personas):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "login" in response["Location"]
    for user in (personas.pensioner_user, personas.unit_user):
        client.force_login(user)
        assert client.get(LIST).status_code == 403
        assert client.get(EXPORT).status_code == 403
    client.force_login(personas.staff)
    assert client.put(LIST).status_code == 405
    assert client.post(EXPORT).status_code == 405


def test_staff_see_their_regions_events_with_names_not_codes(client, personas, events):
    client.force_login(personas.staff)
    page = _page(client)
    for label in ("资格认证", "修改绑定信息", "开始人脸认证"):
        assert label in page
    assert "暂停待遇" not in page  # the other region's
    assert "清除过期人脸影像" not in page  # no region: the province's
    assert "certification.create" not in page
    assert "杨书维 4306**********203X" in page  # the target, by name
    assert personas.unit.name in page


def test_details_read_in_chinese_not_as_keys_and_codes(client, personas):
    """The walk found 详情 as ``rows: 17，criteria: {'region': '440100'}``,
    ``status: terminated`` and targets as ``DeathAfterCertificationCase <id>``."""
    audit.record(
        AuditAction.EXPORT_AUDIT,
        acting_user=personas.staff,
        region_id=personas.region.pk,
        after={
            "rows": 17,
            "criteria": {"region": "440100", "status": "suspended"},
            "file": "a.xlsx",
        },
    )
    audit.record(
        AuditAction.ENTITLEMENT_TERMINATE,
        acting_user=personas.staff,
        target=personas.entitlement,
        before={"status": "normal"},
        after={"status": "terminated", "death_date": "2026-01-05", "flags": []},
    )
    audit.record(
        AuditAction.CERTIFICATION_CREATE,
        acting_user=personas.staff,
        target=personas.entitlement,
        after={"channel": "counter", "resumed": True, "note": None},
    )
    audit.record(
        AuditAction.BINDING_UPDATE,
        acting_user=personas.staff,
        target=personas.region,
        region_id=personas.region.pk,
        after={"criteria": {}},
    )
    client.force_login(personas.staff)
    page = _page(client)
    # PostgreSQL's jsonb keeps keys in its own order: each piece is checked.
    for piece in ("行数：17", "参保地：440100", "状态：暂停", "文件：a.xlsx"):
        assert piece in page
    assert "查询条件：（" in page
    assert "变更前 状态：正常；" in page
    for piece in ("状态：终止", "死亡日期：2026-01-05", "flags：无"):
        assert piece in page
    for piece in ("认证方式：窗口", "resumed：是", "备注：无"):
        assert piece in page
    assert f"<td>参保地 {personas.region.pk}</td>" in page
    assert "查询条件：无" in page
    assert "criteria" not in page
    assert "terminated" not in page
    assert "suspended" not in page


def test_province_sees_every_event(client, personas, events):
    province = testing.make_staff_user(None, username="province_staff")
    client.force_login(province)
    page = _page(client)
    assert "暂停待遇" in page
    assert "清除过期人脸影像" in page


def test_id_numbers_and_phones_are_masked_everywhere(client, personas, events):
    client.force_login(personas.staff)
    page = _page(client)
    assert "43060319920301203X" not in page  # details and the pensioner's login
    assert "13900139000" not in page
    assert "139****9000" in page


def test_filters_by_date_action_and_actor(client, personas, events):
    client.force_login(personas.staff)
    page = _page(client, date_from="2026-03-02", date_to="2026-03-31")
    assert "资格认证" not in page
    assert "修改绑定信息" in page
    page = _page(client, action="binding.update")
    assert "修改绑定信息" in page
    assert "开始人脸认证" not in page
    page = _page(client, actor="carol_staff")
    assert "资格认证" in page
    assert "修改绑定信息" not in page
    bad = client.get(LIST, {"date_from": "2026-04-01", "date_to": "2026-03-01"})
    assert "起始日期不能晚于截止日期" in bad.content.decode()


def test_a_search_by_id_number_keeps_the_number_out_of_the_url(
    client, personas, events
):
    client.force_login(personas.staff)
    response = client.post(LIST, {"target": personas.pensioner.ssn})
    assert response.status_code == 302
    location = response["Location"]
    assert personas.pensioner.ssn not in location
    assert str(personas.pensioner.public_id) in location
    body = client.get(location).content.decode().split("<tbody>")[1]
    assert "资格认证" in body
    assert "开始人脸认证" in body
    assert "修改绑定信息" not in body  # about the unit, not the person
    unit_body = _page(client, target=personas.unit.number)
    assert "修改绑定信息" in unit_body
    assert "资格认证" not in unit_body


@pytest.mark.parametrize(
    "typed", ["４３０６０３１９９２０３０１２０３Ｘ", "4306 0319 9203 0120 3x"]
)
def test_a_number_typed_in_full_width_or_with_spaces_stays_out_of_the_url_too(
    client, personas, events, typed
):
    client.force_login(personas.staff)
    location = client.post(LIST, {"target": typed})["Location"]
    assert str(personas.pensioner.public_id) in location
    assert "0319" not in location
    assert "%EF%BC" not in location
    assert "资格认证" in client.get(location).content.decode().split("<tbody>")[1]


def test_the_list_page_runs_a_bounded_number_of_queries(
    client, personas, events, django_assert_max_num_queries
):
    for _ in range(20):
        audit.record(
            AuditAction.CERTIFICATION_CREATE,
            acting_user=personas.staff,
            target=personas.entitlement,
        )
    client.force_login(personas.staff)
    with django_assert_max_num_queries(12):
        _page(client)


def test_the_export_has_the_searched_rows_and_is_audited(client, personas, events):
    client.force_login(personas.staff)
    response = client.get(EXPORT, {"action": "binding.update"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("时间", "操作", "操作人", "对象", "参保地")
    assert len(rows) == 2
    _at, action, actor, target, region, _ip, detail = rows[1]
    assert (action, actor, region) == ("修改绑定信息", "bob_unit", "广州市")
    assert personas.unit.number in target
    assert "4306**********203X" in detail
    assert "43060319920301203X" not in detail
    exported = AuditEvent.objects.get(action=AuditAction.EXPORT_AUDIT)
    assert exported.after["rows"] == 1
    assert exported.region_id == personas.region.pk


def test_a_head_of_the_export_answers_its_headers_and_audits_no_export(
    client, personas, events
):
    """A HEAD (a link checker, a prefetch) was 405; it must not make the
    workbook nor write an 导出审计日志 row for an export nobody received."""
    client.force_login(personas.staff)
    head = client.head(EXPORT, {"action": "binding.update"})
    assert head.status_code == 200
    assert head["Content-Type"] == XLSX
    assert head["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT_AUDIT).exists()
    client.get(EXPORT, {"action": "binding.update"})
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT_AUDIT).count() == 1


def test_an_outsider_staff_export_has_none_of_this_region(client, personas, events):
    client.force_login(personas.outsider_staff)
    response = client.get(EXPORT)
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    actions = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert actions == ["暂停待遇"]


def test_every_action_the_code_records_has_a_label():
    """No string actions left in the code, and the built ones are in the table."""
    root = Path(__file__).resolve().parents[2]
    literal = re.compile(r"audit\.record(?:_many)?\(\s*f?\"")
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        assert not literal.search(path.read_text(encoding="utf-8")), path
    for kind in ("unit_list", "unit_roster", "unit_history"):
        assert AuditAction(f"export.{kind}").label
    for verdict in ("abandoned", "expired"):
        assert AuditAction(f"face_session.{verdict}").label
