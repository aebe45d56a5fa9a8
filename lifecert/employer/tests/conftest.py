import datetime
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from lifecert.demo import testing
from lifecert.employer.models import Commitment
from lifecert.employer.selection import sign_shown
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


LIST = reverse("employer:certify-list")
SELECT = reverse("employer:certify-select")
CONFIRM = reverse("employer:certify-confirm")
SAVE = reverse("employer:certify-save")


def _public_id(item):
    return getattr(item, "public_id", item)


def shown_for(office, items):
    """The signed ``shown`` field of bob's page that displayed ``items``."""
    binding = office.personas.unit_user.bindings.get()
    return sign_shown(binding, [_public_id(item) for item in items])


def select(client, office, items, *, action="", shown=None, follow=False, **extra):
    """Post bob's list form with ``items`` ticked on a page that showed ``shown``."""
    data = {
        "shown": shown_for(office, items if shown is None else shown),
        "selected": [str(_public_id(item)) for item in items],
        **extra,
    }
    if action:
        data["action"] = action
    return client.post(SELECT, data, follow=follow)


def token_of(confirm_response):
    return confirm_response.context["confirmation"].token


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
