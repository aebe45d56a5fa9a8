"""Death: overpayment from the month after death, cases for certifications after it."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from lifecert.certification.models import (
    Channel,
    DeathAfterCertificationCase,
    FaceSession,
    Overpayment,
)
from lifecert.certification.services import (
    record_certification,
    record_death,
    set_overpayment_status,
    suspend_overdue,
)
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import make_certification, make_entitlement, make_person
from lifecert.registry.models import Entitlement

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))
D = datetime.date


def _at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


def test_death_in_the_middle_of_a_month_is_paid_for_that_month(personas):
    ent = personas.entitlement
    overpayment = record_death(
        entitlement=ent,
        death_date=D(2026, 8, 15),
        acting_user=personas.staff,
        today=D(2026, 10, 31),
    )
    # August is paid in full; September and October were paid after death.
    assert overpayment is not None
    assert (overpayment.months, overpayment.amount) == (2, Decimal("6400.00"))
    ent.refresh_from_db()
    assert (ent.status, ent.status_since) == (
        Entitlement.Status.TERMINATED,
        D(2026, 9, 1),
    )
    assert overpayment.status == Overpayment.Status.PENDING
    assert not DeathAfterCertificationCase.objects.exists()


def test_death_recorded_in_the_month_of_death_overpays_nothing(personas):
    assert (
        record_death(
            entitlement=personas.entitlement,
            death_date=D(2026, 8, 15),
            acting_user=personas.staff,
            today=D(2026, 8, 31),
        )
        is None
    )


def test_death_of_a_suspended_pensioner_counts_only_the_months_paid(personas):
    ent = personas.entitlement
    make_certification(ent, certified_at=_at(2025, 9, 1, 9))
    with time_machine.travel(_at(2026, 11, 5, 10), tick=False):
        suspend_overdue(acting_user=personas.staff)
    overpayment = record_death(
        entitlement=ent,
        death_date=D(2026, 8, 15),
        acting_user=personas.staff,
        today=D(2027, 1, 10),
    )
    # Paid September and October; stopped from November.
    assert overpayment is not None
    assert overpayment.months == 2


def test_death_before_a_unit_certification_opens_a_case_against_the_unit(personas):
    """The issue's 胡国: certified by his unit on 3 Dec, died on 15 Aug."""
    hu = make_person(name="胡国")
    ent = make_entitlement(
        person=hu,
        region=personas.region,
        unit=personas.unit,
        monthly_amount=Decimal("7723.98"),
    )
    with time_machine.travel(_at(2026, 12, 3, 10), tick=False):
        certification, _ = record_certification(
            entitlement=ent,
            channel=Channel.UNIT,
            acting_user=personas.unit_user,
            operator_name="王经办",
            unit=personas.unit,
        )
    with time_machine.travel(_at(2026, 12, 10, 10), tick=False):
        overpayment = record_death(
            entitlement=ent, death_date=D(2026, 8, 15), acting_user=personas.staff
        )
    assert overpayment is not None
    assert (overpayment.months, overpayment.amount) == (4, Decimal("30895.92"))
    case = DeathAfterCertificationCase.objects.get()
    assert case.certification == certification
    assert (case.channel, case.unit, case.operator, case.operator_name) == (
        Channel.UNIT,
        personas.unit,
        personas.unit_user,
        "王经办",
    )
    assert case.status == DeathAfterCertificationCase.Status.OPEN
    overpayment.refresh_from_db()
    assert overpayment.case == case
    assert "4401000001" in overpayment.responsible
    assert "王经办" in overpayment.responsible
    event = AuditEvent.objects.get(action="death_case.open")
    assert event.after["channel"] == Channel.UNIT


def test_death_import_twice_opens_one_case(personas):
    ent = personas.entitlement
    make_certification(ent, certified_at=_at(2026, 10, 1, 9), channel=Channel.DATA)
    record_death(
        entitlement=ent,
        death_date=D(2026, 9, 20),
        acting_user=personas.staff,
        today=D(2026, 11, 2),
    )
    # A second death file: the entitlement is terminated, the case stays one.
    record_death(
        entitlement=ent,
        death_date=D(2026, 9, 20),
        acting_user=personas.staff,
        today=D(2026, 11, 3),
    )
    assert DeathAfterCertificationCase.objects.count() == 1


def test_a_certification_on_the_day_of_death_opens_no_case(personas):
    make_certification(personas.entitlement, certified_at=_at(2026, 8, 15, 23, 30))
    record_death(
        entitlement=personas.entitlement,
        death_date=D(2026, 8, 15),
        acting_user=personas.staff,
        today=D(2026, 10, 1),
    )
    assert not DeathAfterCertificationCase.objects.exists()


def test_a_certification_after_a_recorded_death_opens_a_case_and_resumes_nothing(
    personas,
):
    """Recorded dead in Guangzhou; the Shenzhen pension is then certified by face."""
    person = personas.pensioner
    shenzhen = make_entitlement(person=person, region=personas.other_region)
    record_death(
        entitlement=personas.entitlement,
        death_date=D(2026, 8, 15),
        acting_user=personas.staff,
        today=D(2026, 9, 10),
    )
    session = FaceSession.objects.create(
        person=person,
        region=personas.other_region,
        challenge={"actions": ["blink"]},
        expires_at=_at(2026, 9, 20, 10),
    )
    with time_machine.travel(_at(2026, 9, 20, 10), tick=False):
        certification, resumption = record_certification(
            entitlement=shenzhen,
            channel=Channel.FACE,
            acting_user=personas.pensioner_user,
            evidence={"face_session": str(session.public_id)},
            operator_name="人脸自助",
        )
    assert resumption is None
    shenzhen.refresh_from_db()
    assert shenzhen.last_certified_at is None  # the due date does not move
    case = DeathAfterCertificationCase.objects.get()
    assert (case.certification, case.entitlement, case.face_session) == (
        certification,
        shenzhen,
        session,
    )
    assert "人脸认证" in case.responsible


def test_overpayment_status_keeps_who_changed_it_and_when(personas):
    overpayment = record_death(
        entitlement=personas.entitlement,
        death_date=D(2026, 8, 15),
        acting_user=personas.staff,
        today=D(2026, 10, 31),
    )
    assert overpayment is not None
    with time_machine.travel(_at(2026, 11, 2, 15), tick=False):
        set_overpayment_status(
            overpayment=overpayment,
            status=Overpayment.Status.RECOVERED,
            note="家属已退回",
            acting_user=personas.staff,
        )
    overpayment.refresh_from_db()
    assert overpayment.status == Overpayment.Status.RECOVERED
    assert overpayment.status_by == personas.staff
    assert overpayment.status_at == _at(2026, 11, 2, 15)
    event = AuditEvent.objects.get(action="overpayment.status")
    assert (event.before, event.after["status"]) == (
        {"status": "pending"},
        "recovered",
    )
    with pytest.raises(ValueError, match="状态未变化"):
        set_overpayment_status(
            overpayment=overpayment,
            status=Overpayment.Status.RECOVERED,
            acting_user=personas.staff,
        )
