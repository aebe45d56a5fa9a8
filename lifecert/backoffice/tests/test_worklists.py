"""工作清单: each list's rows, filters, permissions and export (the world of
``worklist_world``, on 2026-11-05)."""

import io

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from lifecert.core.masking import mask_id
from lifecert.core.models import AuditEvent

from . import worklist_world
from .worklist_world import GZ_NAMES, NOW, SZ_NAMES

pytestmark = pytest.mark.django_db

LISTS = [
    "due-list",
    "overdue-list",
    "entitlement-list",
    "certification-list",
    "case-list",
    "back-pay-list",
    "overpayment-list",
]


@pytest.fixture
def world(personas):
    return worklist_world.build(personas)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def _names(client, name, **params):
    response = client.get(reverse(f"backoffice:{name}"), params)
    assert response.status_code == 200
    return response, response.content.decode()


def _sheet(response):
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


def test_due_soon_lists_who_falls_due_within_30_days(client, world):
    client.force_login(world.personas.staff)
    response, page = _names(client, "due-list")
    assert response.context["pager"].total == 2
    assert "甲到期" in page
    assert "乙当天" in page
    assert "2026-11-05" in page  # 乙当天 is due today: still in time
    assert "杨书维" not in page  # overdue, not due


def test_overdue_lists_the_never_certified_and_the_late(client, world):
    client.force_login(world.personas.staff)
    response, page = _names(client, "overdue-list")
    assert response.context["pager"].total == 1
    assert "杨书维" in page
    assert "从未认证" in page
    client.force_login(world.province)
    response, page = _names(client, "overdue-list")
    assert response.context["pager"].total == 2
    assert "深逾期" in page


@pytest.mark.parametrize("name", LISTS)
def test_staff_of_one_region_never_see_another_regions_rows(client, world, name):
    client.force_login(world.personas.staff)
    _, page = _names(client, name)
    for other in SZ_NAMES:
        assert other not in page
    client.force_login(world.personas.outsider_staff)
    _, page = _names(client, name)
    for other in [*GZ_NAMES, "癸故去", "庚暂停"]:
        assert other not in page


@pytest.mark.parametrize("name", LISTS)
def test_regional_staff_cannot_choose_another_region(client, world, name):
    client.force_login(world.personas.staff)
    response, page = _names(client, name, region="440300")
    assert response.context["pager"].total == 0
    assert "深三月" not in page
    assert "选择一个有效的选项" in page


@pytest.mark.parametrize("name", LISTS)
def test_anonymous_and_other_kinds_are_turned_away(client, world, name):
    url = reverse(f"backoffice:{name}")
    assert client.get(url).status_code == 302
    client.force_login(world.personas.unit_user)
    assert client.get(url).status_code == 403
    client.force_login(world.personas.staff)
    assert client.post(url).status_code == 405


def test_province_staff_filter_by_region_and_unit(client, world):
    client.force_login(world.province)
    response, page = _names(client, "entitlement-list", region="440300")
    assert response.context["pager"].total == 2
    assert "深三月" in page
    response, page = _names(client, "entitlement-list", unit="4401000002")
    assert response.context["pager"].total == 1
    assert "丙三月" in page


def test_the_entitlement_list_by_status_date_and_month_of_certification(client, world):
    client.force_login(world.personas.staff)
    response, page = _names(client, "entitlement-list", status="suspended")
    assert response.context["pager"].total == 1
    assert "庚暂停" in page
    response, _ = _names(
        client,
        "entitlement-list",
        status="suspended",
        date_from="2026-10-02",
    )
    assert response.context["pager"].total == 0
    response, page = _names(
        client, "entitlement-list", status="normal", certified="2026-11"
    )
    assert response.context["pager"].total == 2  # 丁月初 (local), 己比对
    assert "戊月末" not in page


def test_the_certification_list_says_where_a_silent_certification_came_from(
    client, world
):
    client.force_login(world.personas.staff)
    response, page = _names(client, "certification-list", channel="data")
    assert response.context["pager"].total == 1
    assert "数据来源：公安户籍" in page
    response, page = _names(client, "certification-list", date_from="2026-11-01")
    # 00:30 local on the 1st counts, 23:30 on the 31st does not.
    assert response.context["pager"].total == 2
    assert "丁月初" in page
    assert "戊月末" not in page
    response, page = _names(client, "certification-list", unit="4401000001")
    assert "癸故去" in page
    assert "单位 4401000001（王经办）" in page


def test_the_case_list_holds_open_death_cases_and_reviews(client, world):
    client.force_login(world.personas.staff)
    response, page = _names(client, "case-list")
    assert response.context["pager"].total == 4  # one death case, three reviews
    assert "癸故去" in page
    assert "死亡日期 2026-09-15 之后有单位代认证认证" in page
    response, _ = _names(client, "case-list", kind="review")
    assert response.context["pager"].total == 3
    response, _ = _names(client, "case-list", kind="death", unit="4401000001")
    assert response.context["pager"].total == 1
    response, _ = _names(
        client, "case-list", kind="review", date_from="2026-10-20", date_to="2026-10-20"
    )
    assert response.context["pager"].total == 1
    response, _ = _names(client, "case-list", kind="review", unit="4401000001")
    assert response.context["pager"].total == 3  # 乙当天 is of unit 4401000001
    response, _ = _names(client, "case-list", kind="review", unit="4401000002")
    assert response.context["pager"].total == 0


def test_a_date_range_backwards_is_refused_with_advice(client, world):
    client.force_login(world.personas.staff)
    response, page = _names(
        client, "certification-list", date_from="2026-11-03", date_to="2026-11-01"
    )
    assert response.context["pager"].total == 0
    assert "起始日期不能晚于截止日期" in page


def test_the_money_lists_take_the_same_filters(client, world):
    client.force_login(world.personas.staff)
    response, _ = _names(client, "overpayment-list", unit="4401000001")
    assert response.context["totals"]["n"] == 1
    response, _ = _names(client, "overpayment-list", unit="4401000002")
    assert response.context["totals"]["n"] == 0
    response, _ = _names(client, "back-pay-list", date_from="2026-11-01")
    assert response.context["totals"]["n"] == 0


def test_the_pages_read_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.province)
    for name in LISTS:
        with django_assert_max_num_queries(12):
            assert client.get(reverse(f"backoffice:{name}")).status_code == 200


EXPORTS = [
    ("due-export", {}, "export.due", ["甲到期", "乙当天"]),
    ("overdue-export", {}, "export.overdue", ["杨书维"]),
    ("entitlement-export", {"status": "suspended"}, "export.entitlements", ["庚暂停"]),
    ("certification-export", {"channel": "data"}, "export.certifications", ["己比对"]),
    ("case-export", {"kind": "death"}, "export.cases", ["癸故去"]),
]


@pytest.mark.parametrize(
    ("name", "params", "action", "names"), EXPORTS, ids=[e[0] for e in EXPORTS]
)
def test_each_export_holds_the_filtered_rows_masked_and_is_audited(
    client, world, name, params, action, names
):
    client.force_login(world.personas.staff)
    response = client.get(reverse(f"backoffice:{name}"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _sheet(response)
    cells = [str(value) for row in rows[1:] for value in row if value is not None]
    assert len(rows) == 1 + len(names)
    for person in names:
        assert person in cells
        ssn = world.by_name[person].person.ssn
        assert mask_id(ssn) in cells
        assert ssn not in cells
    for other in SZ_NAMES:
        assert other not in cells
    event = AuditEvent.objects.get(action=action)
    assert event.after["rows"] == len(names)
    assert event.actor == world.personas.staff
    for key, value in params.items():
        assert event.after["criteria"][key] == value


def test_the_due_export_carries_the_due_date_and_the_last_certification(client, world):
    import datetime

    client.force_login(world.personas.staff)
    rows = _sheet(client.get(reverse("backoffice:due-export")))
    header = rows[0]
    assert header[-2:] == ("上次认证时间", "认证截止日期")
    by_name = {row[3]: row for row in rows[1:]}
    assert by_name["乙当天"][-1] == datetime.datetime(2026, 11, 5)  # noqa: DTZ001
    assert by_name["乙当天"][-2] == datetime.datetime(2025, 11, 5, 9)  # noqa: DTZ001
    assert by_name["甲到期"][-1] == datetime.datetime(2026, 11, 20)  # noqa: DTZ001


def test_the_case_export_says_what_each_case_is_about(client, world):
    client.force_login(world.province)
    rows = _sheet(client.get(reverse("backoffice:case-export")))
    assert rows[0] == ("类别", "登记时间", "参保地", "姓名", "社会保障号码", "情况")
    kinds = sorted(row[0] for row in rows[1:])
    assert kinds == ["人工审核"] * 4 + ["死亡后认证核查"]
    assert "多次认证失败" in {row[5] for row in rows[1:]}


def test_an_invalid_filter_exports_nothing(client, world):
    client.force_login(world.personas.staff)
    response = client.get(reverse("backoffice:due-export"), {"region": "440300"})
    assert len(_sheet(response)) == 1
