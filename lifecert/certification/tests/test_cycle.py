import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from lifecert.certification.cycle import add_months, due_date_of
from lifecert.certification.models import BackPay, Overpayment
from lifecert.certification.services import (
    OVERDUE_REASON,
    record_certification,
    record_death,
    suspend_overdue,
)
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import make_certification, make_entitlement
from lifecert.registry.models import Entitlement

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))


def test_add_months_clamps_to_month_end():
    assert add_months(datetime.date(2025, 1, 31), 1) == datetime.date(2025, 2, 28)
    assert add_months(datetime.date(2024, 2, 29), 12) == datetime.date(2025, 2, 28)
    assert add_months(datetime.date(2025, 3, 15), -12) == datetime.date(2024, 3, 15)


def test_due_date_is_twelve_months_after_the_last_certification():
    ent = make_entitlement()
    make_certification(ent, certified_at=datetime.datetime(2025, 6, 10, 9, tzinfo=TZ))
    assert due_date_of(ent) == datetime.date(2026, 6, 10)


@time_machine.travel(datetime.datetime(2026, 11, 26, 10, tzinfo=TZ), tick=False)
def test_overdue_entitlements_are_suspended_and_resumed_with_back_pay(personas):
    ent = personas.entitlement
    make_certification(ent, certified_at=datetime.datetime(2025, 8, 1, 9, tzinfo=TZ))
    fresh = make_entitlement()
    make_certification(fresh, certified_at=datetime.datetime(2026, 3, 1, 9, tzinfo=TZ))
    assert suspend_overdue(acting_user=personas.staff) == 1
    ent.refresh_from_db()
    fresh.refresh_from_db()
    assert ent.status == Entitlement.Status.SUSPENDED
    assert ent.status_reason == OVERDUE_REASON
    assert fresh.status == Entitlement.Status.NORMAL
    assert AuditEvent.objects.filter(action="entitlement.suspend").count() == 1
    # Running it again changes nothing.
    assert suspend_overdue(acting_user=personas.staff) == 0

    with time_machine.travel(datetime.datetime(2027, 2, 10, 10, tzinfo=TZ), tick=False):
        _, resumption = record_certification(
            entitlement=ent, channel="counter", acting_user=personas.staff
        )
    ent.refresh_from_db()
    assert ent.status == Entitlement.Status.NORMAL
    assert resumption.months == 3  # November, December, January
    back_pay = BackPay.objects.get(entitlement=ent)
    assert back_pay.amount == Decimal("3200.00") * 3
    assert AuditEvent.objects.filter(action="entitlement.resume").exists()


def test_terminated_entitlement_cannot_be_certified(personas):
    ent = personas.entitlement
    ent.status = Entitlement.Status.TERMINATED
    ent.save()
    with pytest.raises(ValueError, match="已终止"):
        record_certification(
            entitlement=ent, channel="counter", acting_user=personas.staff
        )


def test_death_terminates_from_the_next_month_and_records_overpayment(personas):
    ent = personas.entitlement
    overpayment = record_death(
        entitlement=ent,
        death_date=datetime.date(2026, 7, 15),
        acting_user=personas.staff,
        today=datetime.date(2026, 11, 26),
    )
    ent.refresh_from_db()
    assert ent.status == Entitlement.Status.TERMINATED
    assert ent.status_since == datetime.date(2026, 8, 1)
    # August to November paid after death.
    assert overpayment.months == 4
    assert Overpayment.objects.get().amount == Decimal("12800.00")
    assert ent.person.death_date == datetime.date(2026, 7, 15)
    assert AuditEvent.objects.filter(action="entitlement.terminate").exists()


def test_certification_updates_last_time(personas):
    at = timezone.now()
    cert, _ = record_certification(
        entitlement=personas.entitlement, channel="face", acting_user=None, at=at
    )
    personas.entitlement.refresh_from_db()
    assert personas.entitlement.last_certified_at == at
    assert cert.receipt_code
    assert len(cert.receipt_code) == 16
