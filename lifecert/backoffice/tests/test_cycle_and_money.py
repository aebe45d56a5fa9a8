"""Staff pages of the cycle's money: suspension preview and runs, 补发清单,
待追回, 死亡后认证核查, and what the pensioner's centre says."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from lifecert.certification.models import (
    Channel,
    DeathAfterCertificationCase,
    Overpayment,
    SuspensionRun,
)
from lifecert.certification.services import (
    record_certification,
    record_death,
    run_suspension,
)
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import make_certification, make_entitlement, make_person
from lifecert.registry.models import Entitlement

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))
PREVIEW = reverse("backoffice:run-suspensions")
NOW = datetime.datetime(2026, 11, 5, 10, tzinfo=TZ)


def _at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


def _sheet(response) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


@pytest.fixture
def overdue(personas):
    """personas.entitlement (never certified) and one more overdue in Guangzhou,
    one overdue in Shenzhen."""
    late = make_entitlement(
        person=make_person(name="李逾期"), region=personas.region, unit=personas.unit
    )
    make_certification(late, certified_at=_at(2025, 10, 1, 9))
    make_entitlement(region=personas.other_region)
    return late


@time_machine.travel(NOW, tick=False)
def test_the_preview_lists_whom_and_suspends_nobody(client, personas, overdue):
    client.force_login(personas.staff)
    response = client.get(PREVIEW)
    assert response.status_code == 200
    assert response.context["total"] == 2  # Guangzhou only
    assert [(r["region__name"], r["n"]) for r in response.context["by_region"]] == [
        (personas.region.name, 2)
    ]
    page = response.content.decode()
    assert "李逾期" in page
    assert "4306**********203X" in page
    assert "43060319920301203X" not in page
    assert not Entitlement.objects.filter(status="suspended").exists()


@time_machine.travel(NOW, tick=False)
def test_the_preview_exports_the_list_and_audits_it(client, personas, overdue):
    client.force_login(personas.staff)
    response = client.get(reverse("backoffice:suspension-preview-export"))
    rows = _sheet(response)
    assert rows[0][:5] == ("参保地", "单位编号", "单位名称", "姓名", "社会保障号码")
    assert len(rows) == 3
    assert AuditEvent.objects.filter(action="export.suspension").exists()


@time_machine.travel(NOW, tick=False)
def test_confirming_runs_it_and_shows_the_run(client, personas, overdue):
    client.force_login(personas.staff)
    response = client.post(PREVIEW, {"expected": 2})
    run = SuspensionRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("backoffice:suspension-run", args=[run.public_id])
    assert (run.count, run.region) == (2, personas.region)
    page = client.get(response.url).content.decode()
    assert "李逾期" in page
    rows = _sheet(
        client.get(reverse("backoffice:suspension-run-export", args=[run.public_id]))
    )
    assert len(rows) == 3
    # Confirmed again (a double click): nobody new, no second run.
    response = client.post(PREVIEW, {"expected": 0})
    assert response.url == reverse("backoffice:suspension-runs")
    assert SuspensionRun.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_a_stale_confirmation_suspends_nobody(client, personas, overdue):
    client.force_login(personas.staff)
    response = client.post(PREVIEW, {"expected": 1})
    assert response.url == PREVIEW
    assert not SuspensionRun.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_confirmation_without_the_previews_count_suspends_nobody(
    client, personas, overdue
):
    client.force_login(personas.staff)
    response = client.post(PREVIEW, {"expected": "x"}, follow=True)
    assert response.redirect_chain == [(PREVIEW, 302)]
    assert "请先查看暂停名单，再确认执行。" in response.content.decode()
    assert not SuspensionRun.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_province_staff_suspend_every_region(client, personas, overdue):
    from lifecert.demo.testing import make_staff_user

    client.force_login(make_staff_user(None, username="province"))
    assert client.get(PREVIEW).context["total"] == 3
    client.post(PREVIEW, {"expected": 3})
    assert SuspensionRun.objects.get().region is None


@time_machine.travel(NOW, tick=False)
def test_other_regions_staff_cannot_open_a_run(client, personas, overdue):
    run = run_suspension(acting_user=personas.staff, region=personas.region)
    client.force_login(personas.outsider_staff)
    url = reverse("backoffice:suspension-run", args=[run.public_id])
    assert client.get(url).status_code == 404
    assert client.get(reverse("backoffice:suspension-runs")).context["pager"].total == 0


def test_anonymous_and_pensioners_cannot_run_it(client, personas):
    assert client.get(PREVIEW).status_code == 302
    client.force_login(personas.pensioner_user)
    assert client.post(PREVIEW, {"expected": 0}).status_code in (302, 403)
    assert not SuspensionRun.objects.exists()


def test_back_pay_list_by_month_and_export(client, personas, overdue):
    with time_machine.travel(NOW, tick=False):
        run_suspension(acting_user=personas.staff, region=personas.region)
    with time_machine.travel(_at(2027, 1, 8, 10), tick=False):
        record_certification(
            entitlement=overdue, channel="counter", acting_user=personas.staff
        )
        client.force_login(personas.staff)
        page = client.get(reverse("backoffice:back-pay-list"), {"month": "2027-01"})
        assert page.context["totals"]["n"] == 1
        assert page.context["totals"]["amount"] == Decimal("6400.00")  # Nov, Dec
        other_month = client.get(
            reverse("backoffice:back-pay-list"), {"month": "2026-12"}
        )
        assert other_month.context["totals"]["n"] == 0
        dashboard = client.get(reverse("backoffice:index"))
        assert dashboard.context["back_pay_month"]["n"] == 1
        rows = _sheet(
            client.get(reverse("backoffice:back-pay-export"), {"month": "2027-01"})
        )
    assert rows[0][6] == "补发月数"
    assert rows[1][2:4] == ("李逾期", overdue.person.ssn)
    assert rows[1][6:9] == (2, 3200, 6400)
    assert AuditEvent.objects.filter(action="export.back_pay").exists()


def _hu_guo(personas) -> Overpayment:
    hu = make_person(name="胡国")
    ent = make_entitlement(person=hu, region=personas.region, unit=personas.unit)
    with time_machine.travel(_at(2026, 12, 3, 10), tick=False):
        record_certification(
            entitlement=ent,
            channel=Channel.UNIT,
            acting_user=personas.unit_user,
            operator_name="王经办",
            unit=personas.unit,
        )
    overpayment = record_death(
        entitlement=ent,
        death_date=datetime.date(2026, 8, 15),
        acting_user=personas.staff,
        today=datetime.date(2026, 12, 10),
    )
    assert overpayment is not None
    return overpayment


def test_an_overpayment_is_on_the_dashboard_the_list_and_the_person_page(
    client, personas
):
    overpayment = _hu_guo(personas)
    client.force_login(personas.staff)
    dashboard = client.get(reverse("backoffice:index"))
    assert dashboard.context["pending_overpayments"]["n"] == 1
    assert dashboard.context["open_cases"] == 1
    assert reverse("backoffice:overpayment-list") in dashboard.content.decode()
    listing = client.get(reverse("backoffice:overpayment-list"), {"status": "pending"})
    assert "胡国" in listing.content.decode()
    assert "单位 4401000001" in listing.content.decode()
    person = overpayment.entitlement.person
    detail = client.get(reverse("backoffice:person-detail", args=[person.public_id]))
    assert "待追回" in detail.content.decode()
    assert "单位代认证" in detail.content.decode()
    cases = client.get(reverse("backoffice:death-case-list")).content.decode()
    assert "胡国" in cases
    # Another region's staff see none of it.
    client.force_login(personas.outsider_staff)
    assert (
        client.get(reverse("backoffice:index")).context["pending_overpayments"]["n"]
        == 0
    )
    url = reverse("backoffice:overpayment-status", args=[overpayment.public_id])
    assert client.post(url, {"status": "recovered"}).status_code == 404


def test_staff_follow_an_overpayment_to_recovered(client, personas):
    overpayment = _hu_guo(personas)
    client.force_login(personas.staff)
    url = reverse("backoffice:overpayment-status", args=[overpayment.public_id])
    response = client.post(url, {"status": "recovered", "note": "单位已退回"})
    assert response.status_code == 302
    overpayment.refresh_from_db()
    assert (overpayment.status, overpayment.status_by) == ("recovered", personas.staff)
    assert client.get(url).status_code == 405
    rows = _sheet(client.get(reverse("backoffice:overpayment-export")))
    assert rows[1][7:9] == ("已追回", personas.staff.username)
    case = DeathAfterCertificationCase.objects.get()
    client.post(reverse("backoffice:death-case-close", args=[case.public_id]))
    case.refresh_from_db()
    assert case.status == "closed"
    assert AuditEvent.objects.filter(action="death_case.close").exists()


def test_an_overpayment_status_not_chosen_changes_nothing(client, personas):
    overpayment = _hu_guo(personas)
    client.force_login(personas.staff)
    url = reverse("backoffice:overpayment-status", args=[overpayment.public_id])
    response = client.post(url, {"status": "", "note": "x"}, follow=True)
    assert "请选择追回状态。" in response.content.decode()
    overpayment.refresh_from_db()
    assert overpayment.status == "pending"


def test_the_pensioner_centre_says_since_when_why_and_the_back_pay(client, personas):
    ent = personas.entitlement
    make_certification(ent, certified_at=_at(2025, 10, 20, 9))
    with time_machine.travel(NOW, tick=False):
        run_suspension(acting_user=personas.staff)
        client.force_login(personas.pensioner_user)
        page = client.get(reverse("pensioner:centre")).content.decode()
    assert "从 2026年11月5日 起暂停发放" in page
    assert "超过 12 个月没有进行资格认证" in page
    with time_machine.travel(_at(2027, 1, 4, 10), tick=False):
        record_certification(entitlement=ent, channel="counter", acting_user=None)
        client.force_login(personas.pensioner_user)  # the old session has expired
        page = client.get(reverse("pensioner:centre")).content.decode()
    assert "您的养老待遇正常发放" in page
    assert "补发暂停期间（从 2026年11月5日 起）2 个月的养老金，共 6400.00 元" in page


def test_the_pensioner_centre_says_the_pension_was_terminated(client, personas):
    record_death(
        entitlement=personas.entitlement,
        death_date=datetime.date(2026, 8, 15),
        acting_user=personas.staff,
        today=datetime.date(2026, 8, 20),
    )
    client.force_login(personas.pensioner_user)
    page = client.get(reverse("pensioner:centre")).content.decode()
    assert "该养老待遇从 2026年9月 起停止发放（终止）。原因：死亡" in page


@time_machine.travel(NOW, tick=False)
def test_the_lists_read_a_bounded_number_of_queries(
    client, personas, overdue, django_assert_max_num_queries
):
    for _ in range(5):
        make_entitlement(region=personas.region, unit=personas.unit)
    run = run_suspension(acting_user=personas.staff, region=personas.region)
    _hu_guo(personas)
    client.force_login(personas.staff)
    pages = [
        (PREVIEW, {}),
        (reverse("backoffice:suspension-runs"), {}),
        (reverse("backoffice:suspension-run", args=[run.public_id]), {}),
        (reverse("backoffice:back-pay-list"), {"month": "2026-11"}),
        (reverse("backoffice:overpayment-list"), {}),
        (reverse("backoffice:death-case-list"), {}),
    ]
    for url, params in pages:
        with django_assert_max_num_queries(12):
            assert client.get(url, params).status_code == 200


def test_the_back_pay_list_of_one_run(client, personas, overdue):
    with time_machine.travel(NOW, tick=False):
        run = run_suspension(acting_user=personas.staff, region=personas.region)
    with time_machine.travel(_at(2027, 1, 8, 10), tick=False):
        record_certification(
            entitlement=overdue, channel="counter", acting_user=personas.staff
        )
        client.force_login(personas.staff)
        response = client.get(
            reverse("backoffice:back-pay-list"), {"run": str(run.public_id)}
        )
        other = client.get(
            reverse("backoffice:back-pay-list"),
            {"run": "00000000-0000-0000-0000-000000000000"},
        )
    assert response.context["run"] == run
    assert response.context["totals"]["n"] == 1
    assert other.context["totals"]["n"] == 0


def test_the_death_import_says_what_it_found(client, personas):
    """The issue's 胡国 again, through the death-record import."""
    from lifecert.demo.testing import xlsx_upload

    hu = make_person(name="胡国")
    ent = make_entitlement(person=hu, region=personas.region, unit=personas.unit)
    with time_machine.travel(_at(2026, 12, 3, 10), tick=False):
        record_certification(
            entitlement=ent,
            channel=Channel.UNIT,
            acting_user=personas.unit_user,
            operator_name="王经办",
            unit=personas.unit,
        )
    with time_machine.travel(_at(2026, 12, 10, 10), tick=False):
        client.force_login(personas.staff)
        file = xlsx_upload(
            ["社会保障号码", "姓名", "死亡日期"],
            [[hu.ssn, "胡国", datetime.date(2026, 8, 15)]],
            "deaths.xlsx",
        )
        response = client.post(
            reverse("backoffice:evidence-import", args=["deaths"]),
            {"file": file},
            follow=True,
        )
    page = response.content.decode()
    assert "1 条待遇在死亡后仍有发放，已登记为待追回" in page
    assert "1 条认证记录晚于死亡日期，已转死亡后认证核查" in page
    overpayment = Overpayment.objects.get(entitlement=ent)
    assert overpayment.months == 4
    assert overpayment.case is not None
    assert overpayment.case.unit == personas.unit
