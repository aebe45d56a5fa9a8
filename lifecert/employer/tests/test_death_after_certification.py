"""单位代认证 of a person already recorded dead opens a case naming the unit."""

import datetime

import pytest

from lifecert.certification.models import Certification, DeathAfterCertificationCase
from lifecert.certification.services import record_death
from lifecert.demo import testing
from lifecert.employer import services
from lifecert.registry.models import Entitlement

from .conftest import accept

pytestmark = pytest.mark.django_db


def test_a_unit_certifying_someone_recorded_dead_opens_a_case(personas):
    """Recorded dead by Shenzhen; his Guangzhou unit then certifies him alive."""
    person = testing.make_person(name="胡国")
    here = testing.make_entitlement(
        person=person, region=personas.region, unit=personas.unit
    )
    alive = testing.make_entitlement(region=personas.region, unit=personas.unit)
    shenzhen = testing.make_entitlement(person=person, region=personas.other_region)
    record_death(
        entitlement=shenzhen,
        death_date=datetime.date(2026, 1, 10),
        acting_user=personas.staff,
    )
    binding = personas.unit_user.bindings.get()
    accept(personas.unit_user, personas.unit)
    result = services.certify_pensioners(
        acting_user=personas.unit_user,
        binding=binding,
        entitlement_ids=[here.public_id, alive.public_id],
    )
    assert result.saved == 2
    case = DeathAfterCertificationCase.objects.get()
    assert case.certification == Certification.objects.get(entitlement=here)
    assert (case.unit, case.operator, case.operator_name) == (
        personas.unit,
        personas.unit_user,
        "王经办",
    )
    here.refresh_from_db()
    alive.refresh_from_db()
    assert here.last_certified_at is None  # no due date moved for the dead
    assert alive.last_certified_at is not None
    assert here.status == Entitlement.Status.NORMAL
