"""The suspension run: kept as a record, scoped, idempotent, the same by command."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command

from lifecert.certification.models import BackPay, SuspensionRun
from lifecert.certification.services import (
    SuspensionChanged,
    record_certification,
    run_suspension,
    suspension_preview,
)
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import make_certification, make_entitlement
from lifecert.registry.models import Entitlement

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))


def _at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


@pytest.fixture
def overdue_pair(personas):
    """Two overdue in Guangzhou (one never certified), one in Shenzhen, one in time."""
    late = make_entitlement(region=personas.region, unit=personas.unit)
    make_certification(late, certified_at=_at(2025, 10, 1, 9))
    fresh = make_entitlement(region=personas.region)
    make_certification(fresh, certified_at=_at(2026, 6, 1, 9))
    shenzhen = make_entitlement(region=personas.other_region)
    return personas.entitlement, late, fresh, shenzhen


@time_machine.travel(_at(2026, 11, 5, 10), tick=False)
def test_a_run_keeps_who_when_how_many_and_whom(personas, overdue_pair):
    never, late, _fresh, shenzhen = overdue_pair
    run = run_suspension(acting_user=personas.staff, region=personas.region)
    assert run is not None
    assert (run.count, run.run_on, run.run_by, run.region) == (
        2,
        datetime.date(2026, 11, 5),
        personas.staff,
        personas.region,
    )
    assert set(run.entitlements.all()) == {never, late}
    for ent in (never, late):
        ent.refresh_from_db()
        assert ent.status == Entitlement.Status.SUSPENDED
        assert ent.status_since == datetime.date(2026, 11, 5)
    shenzhen.refresh_from_db()
    assert shenzhen.status == Entitlement.Status.NORMAL  # not this staff's region
    assert AuditEvent.objects.filter(action="suspension.run").count() == 1
    assert AuditEvent.objects.filter(action="entitlement.suspend").count() == 2


def test_the_suspension_run_twice_the_same_day_suspends_nobody_new(
    personas, overdue_pair
):
    with time_machine.travel(_at(2026, 11, 5, 9), tick=False):
        first = run_suspension(acting_user=personas.staff)
    with time_machine.travel(_at(2026, 11, 5, 17), tick=False):
        second = run_suspension(acting_user=personas.staff)
        assert suspension_preview(None).count() == 0
    assert first is not None
    assert first.count == 3
    assert second is None
    assert SuspensionRun.objects.count() == 1
    assert AuditEvent.objects.filter(action="entitlement.suspend").count() == 3


@time_machine.travel(_at(2026, 11, 5, 10), tick=False)
def test_a_confirmation_that_does_not_match_the_preview_suspends_nobody(
    personas, overdue_pair
):
    with pytest.raises(SuspensionChanged):
        run_suspension(acting_user=personas.staff, region=personas.region, expected=1)
    assert not Entitlement.objects.filter(status=Entitlement.Status.SUSPENDED).exists()
    assert not SuspensionRun.objects.exists()


def test_the_scheduled_command_runs_the_same_and_is_idempotent(personas, overdue_pair):
    out = io.StringIO()
    with time_machine.travel(_at(2026, 11, 5, 2), tick=False):
        call_command("run_suspensions", stdout=out)
        call_command("run_suspensions", stdout=out)
    run = SuspensionRun.objects.get()
    assert (run.count, run.source, run.run_by, run.run_by_label, run.region) == (
        3,
        SuspensionRun.Source.SCHEDULE,
        None,
        "定时任务",
        None,
    )
    assert "已暂停 3 条" in out.getvalue()
    assert "没有需要暂停的养老待遇" in out.getvalue()


def test_back_pay_across_a_year_boundary_names_the_run_that_stopped_it(
    personas, overdue_pair
):
    _, late, _, _ = overdue_pair
    with time_machine.travel(_at(2026, 11, 5, 10), tick=False):
        run = run_suspension(acting_user=personas.staff, region=personas.region)
    with time_machine.travel(_at(2027, 2, 20, 10), tick=False):
        _, resumption = record_certification(
            entitlement=late, channel="counter", acting_user=personas.staff
        )
    # November, December, January: the month of resumption is paid as usual.
    assert resumption is not None
    assert resumption.months == 3
    back_pay = BackPay.objects.get(entitlement=late)
    assert back_pay.suspension_run == run
    assert back_pay.suspended_since == datetime.date(2026, 11, 5)
    assert back_pay.amount == late.monthly_amount * 3
