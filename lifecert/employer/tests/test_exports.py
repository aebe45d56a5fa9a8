import io
import re

from django.urls import reverse
from openpyxl import load_workbook

from lifecert.core.models import AuditEvent
from lifecert.demo import testing


def read(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_list_export_has_the_pages_columns_and_rows(bob, office):
    sheet = read(bob.get(reverse("employer:certify-export")))
    assert [c.value for c in sheet[1]] == [
        "姓名",
        "证件号码",
        "联系电话",
        "居住地址",
        "上次认证时间",
        "审核结果",
    ]
    assert sheet.max_row == 26
    assert sheet.freeze_panes == "A2"
    first = [c.value for c in sheet[2]]  # never certified come first
    rows = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    yang = rows["43060319920301203X"]
    assert yang == ("杨书维", "43060319920301203X", "13800138000", "-", None, "未认证")
    assert first[5] == "未认证"
    audit = AuditEvent.objects.get(action="export.unit_list")
    assert audit.after["rows"] == 25
    assert audit.actor == office.personas.unit_user


def _export_of(client, search):
    """The list's export link after searching (the search is named by a key)."""
    listed = client.post(reverse("employer:certify-list"), search, follow=True)
    html = listed.content.decode()
    return re.search(r'id="export" href="([^"]+)"', html)[1].replace("&amp;", "&")


def test_list_export_follows_the_search(bob, office):
    sheet = read(bob.get(_export_of(bob, {"name": "张0"})))
    assert sheet.max_row == 11
    audit = AuditEvent.objects.get(action="export.unit_list")
    assert audit.after["criteria"] == {"name": "张0"}


def test_export_neutralises_formulas_from_the_registry(bob, office):
    personas = office.personas
    person = testing.make_person(name='=HYPERLINK("x")', address="@SUM(1)")
    testing.make_entitlement(person=person, region=personas.region, unit=personas.unit)
    sheet = read(bob.get(_export_of(bob, {"ssn": person.ssn})))
    name, ssn, _, address, _, _ = sheet[2]
    assert name.value == '=HYPERLINK("x")'
    assert name.data_type == "s"
    assert address.value == "@SUM(1)"
    assert address.data_type == "s"
    assert ssn.data_type == "s"


def test_roster_export(bob, office):
    sheet = read(bob.get(reverse("employer:roster-export")))
    assert [c.value for c in sheet[1]][:4] == [
        "姓名",
        "证件号码",
        "联系电话",
        "待遇状态",
    ]
    assert sheet.max_row == 29
    suspended = sheet.max_row
    statuses = [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert statuses.count("暂停") == 1
    assert statuses.count("终止") == 1
    assert suspended
    filtered = read(bob.get(reverse("employer:roster-export"), {"status": "suspended"}))
    assert filtered.max_row == 2
    assert AuditEvent.objects.filter(action="export.unit_roster").count() == 2


def test_history_export_covers_all_our_pensioners_only(bob, office):
    testing.make_certification(office.foreign)
    sheet = read(bob.get(reverse("employer:history-export")))
    assert [c.value for c in sheet[1]] == [
        "姓名",
        "身份证",
        "认证时间",
        "认证方式",
        "经办人",
    ]
    assert sheet.max_row == 1 + 17
    ssns = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert office.foreign.person.ssn not in ssns
    assert sheet["C2"].is_date
    assert AuditEvent.objects.filter(action="export.unit_history").exists()


def test_export_query_counts_do_not_grow_with_rows(
    bob, office, django_assert_max_num_queries
):
    for name in (
        "employer:certify-export",
        "employer:roster-export",
        "employer:history-export",
    ):
        with django_assert_max_num_queries(10):
            response = bob.get(reverse(name))
            b"".join(response.streaming_content)


def test_exports_show_local_time_and_local_due_dates(bob, office):
    """20:30 UTC on 31 May is 04:30 on 1 June in Guangdong: every export says so."""
    import datetime

    at = datetime.datetime(2026, 5, 31, 20, 30, tzinfo=datetime.UTC)
    person = testing.make_person(name="时区测试")
    entitlement = testing.make_entitlement(
        person=person, region=office.personas.region, unit=office.personas.unit
    )
    testing.make_certification(entitlement, certified_at=at)
    local = datetime.datetime(2026, 6, 1, 4, 30)  # noqa: DTZ001 Excel has no zones

    def row_of(sheet):
        rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]]
        return next(r for r in rows if r[0] == "时区测试")

    roster = row_of(read(bob.get(reverse("employer:roster-export"))))
    assert roster[4] == local
    assert roster[6] == datetime.datetime(2027, 6, 1)  # noqa: DTZ001 due: local date + 12 months
    history = row_of(read(bob.get(reverse("employer:history-export"))))
    assert history[2] == local
    listed = row_of(read(bob.get(reverse("employer:certify-export"))))
    assert listed[4] == local


def test_roster_due_date_of_the_never_certified_follows_the_pension_start(bob, office):
    """No certification yet: due 12 months after the start (29 Feb → 28 Feb)."""
    import datetime

    person = testing.make_person(name="闰日起领")
    testing.make_entitlement(
        person=person,
        region=office.personas.region,
        unit=office.personas.unit,
        start_date=datetime.date(2024, 2, 29),
    )
    sheet = read(bob.get(reverse("employer:roster-export")))
    row = next(
        r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "闰日起领"
    )
    assert row[4] is None  # 上次认证时间
    assert row[6] == datetime.datetime(2025, 2, 28)  # noqa: DTZ001 Excel has no zones
