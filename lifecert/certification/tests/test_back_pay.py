"""The suspension date is kept, and back pay counts the months from it."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from lifecert.certification.cycle import due_date
from lifecert.certification.models import BackPay
from lifecert.certification.services import (
    OVERDUE_REASON,
    record_certification,
    suspend_overdue,
)
from lifecert.demo.testing import make_certification
from lifecert.registry.models import Entitlement

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))


def _at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


def test_the_suspension_run_keeps_the_local_date_of_the_suspension(personas):
    ent = personas.entitlement
    make_certification(ent, certified_at=_at(2025, 11, 30, 9))
    # 00:30 on 1 January in Guangdong is still 31 December in UTC.
    suspend_overdue(acting_user=personas.staff, now=_at(2027, 1, 1, 0, 30))
    ent.refresh_from_db()
    assert ent.status == Entitlement.Status.SUSPENDED
    assert ent.status_since == datetime.date(2027, 1, 1)


def test_back_pay_across_a_year_boundary(personas):
    ent = personas.entitlement
    make_certification(ent, certified_at=_at(2025, 10, 20, 9))
    with time_machine.travel(_at(2026, 11, 5, 10), tick=False):
        assert suspend_overdue(acting_user=personas.staff) == 1
    with time_machine.travel(_at(2027, 3, 2, 10), tick=False):
        _, resumption = record_certification(
            entitlement=ent, channel="counter", acting_user=personas.staff
        )
    # November, December, January, February: four months, over the new year.
    assert resumption.months == 4
    back_pay = BackPay.objects.get(entitlement=ent)
    assert back_pay.suspended_since == datetime.date(2026, 11, 5)
    assert (back_pay.months, back_pay.amount) == (4, Decimal("3200.00") * 4)


def test_back_pay_of_a_silent_certification_dated_before_the_suspension(personas):
    """A 数据比对 row proves life on a past day; the pension stopped since is owed."""
    ent = personas.entitlement
    make_certification(ent, certified_at=_at(2025, 9, 1, 9))
    with time_machine.travel(_at(2026, 9, 10, 10), tick=False):
        suspend_overdue(acting_user=personas.staff)
    with time_machine.travel(_at(2027, 1, 15, 10), tick=False):
        _, resumption = record_certification(
            entitlement=ent,
            channel="data",
            acting_user=personas.staff,
            at=_at(2026, 8, 30, 12),
        )
    # Stopped on 10 September 2026, resumed on 15 January 2027.
    assert resumption.months == 4
    assert BackPay.objects.get().suspended_since == datetime.date(2026, 9, 10)


def test_back_pay_when_the_suspension_date_was_never_recorded(personas):
    """Suspended 逾期未认证 with no date (older data): count from the day after due."""
    ent = personas.entitlement
    make_certification(ent, certified_at=_at(2025, 6, 10, 9))
    Entitlement.objects.filter(pk=ent.pk).update(
        status=Entitlement.Status.SUSPENDED,
        status_reason=OVERDUE_REASON,
        status_since=None,
    )
    due = due_date(datetime.date(2025, 6, 10), ent.start_date)
    assert due == datetime.date(2026, 6, 10)
    with time_machine.travel(_at(2026, 12, 3, 10), tick=False):
        _, resumption = record_certification(
            entitlement=ent, channel="counter", acting_user=personas.staff
        )
    back_pay = BackPay.objects.get()
    assert back_pay.suspended_since == datetime.date(2026, 6, 11)
    assert resumption.months == 6  # June to November
