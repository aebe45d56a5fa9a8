import datetime
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.utils import timezone

from lifecert.core import testing
from lifecert.employer.models import Commitment
from lifecert.registry.models import Entitlement


@dataclass
class Office:
    """The unit of the ``personas`` with pensioners in every state."""

    personas: object
    pending: list[Entitlement]
    certified_this_month: Entitlement
    suspended: Entitlement
    terminated: Entitlement
    foreign: Entitlement  # a pensioner of ``other_unit``


def accept(user, unit, operator_name="王经办"):
    return Commitment.objects.create(
        account=user,
        unit=unit,
        operator_name=operator_name,
        version=settings.COMMITMENT_LETTER_VERSION,
    )


@pytest.fixture
def office(personas):
    unit = personas.unit
    last_year = timezone.now() - datetime.timedelta(days=300)
    pending = [personas.entitlement]
    for index in range(24):
        person = testing.make_person(
            name=f"张{index:02d}", address="广州市天河区" if index % 2 else ""
        )
        entitlement = testing.make_entitlement(
            person=person, region=personas.region, unit=unit
        )
        if index % 3:
            testing.make_certification(entitlement, certified_at=last_year)
        pending.append(entitlement)
    done = testing.make_entitlement(unit=unit, region=personas.region)
    testing.make_certification(done, certified_at=timezone.now())
    suspended = testing.make_entitlement(
        unit=unit, region=personas.region, status=Entitlement.Status.SUSPENDED
    )
    terminated = testing.make_entitlement(
        unit=unit, region=personas.region, status=Entitlement.Status.TERMINATED
    )
    foreign = testing.make_entitlement(
        unit=personas.other_unit, region=personas.other_region
    )
    return Office(personas, pending, done, suspended, terminated, foreign)


@pytest.fixture
def bob(client, office):
    """The unit operator, logged in, who has accepted the current letter."""
    personas = office.personas
    accept(personas.unit_user, personas.unit)
    client.force_login(personas.unit_user)
    return client
