"""Region-scoped reads for staff: the only way back-office views fetch registry rows."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Entitlement, Person, Region, Unit


def staff_regions(user: Any) -> QuerySet[Region]:
    """Regions a staff user may see: their own, or all for provincial staff."""
    if user.staff_region_id is None:
        return Region.objects.all()
    return Region.objects.filter(pk=user.staff_region_id)


def persons_for_staff(user: Any) -> QuerySet[Person]:
    if user.staff_region_id is None:
        return Person.objects.all()
    return Person.objects.filter(
        pk__in=Entitlement.objects.filter(region_id=user.staff_region_id).values(
            "person_id"
        )
    )


def entitlements_for_staff(user: Any) -> QuerySet[Entitlement]:
    """Pensions of the staff user's region; every one for provincial staff."""
    if user.staff_region_id is None:
        return Entitlement.objects.all()
    return Entitlement.objects.filter(region_id=user.staff_region_id)


def units_for_staff(user: Any) -> QuerySet[Unit]:
    if user.staff_region_id is None:
        return Unit.objects.all()
    return Unit.objects.filter(region_id=user.staff_region_id)


def access_person(user: Any, public_id: Any) -> Person:
    """A person the staff user may see; 404 for people outside their region."""
    return get_object_or_404(persons_for_staff(user), public_id=public_id)


def access_unit(user: Any, public_id: Any) -> Unit:
    return get_object_or_404(
        units_for_staff(user).select_related("region"), public_id=public_id
    )
