"""Region-scoped reads of the cycle's money records: the only way staff views
fetch suspension runs, back pay, overpayments and death cases."""

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from lifecert.registry.models import Entitlement

from .models import (
    BackPay,
    Certification,
    DeathAfterCertificationCase,
    Overpayment,
    ReviewRequest,
    SuspensionRun,
)


def _region_ids(user: Any) -> list[int] | None:
    """The staff user's region ids; ``None`` for province staff (all)."""
    # The same scope as ``registry.access.staff_regions``, without a query.
    if user.staff_region_id is None:
        return None
    return [user.staff_region_id]


def _of_regions(ids: list[int]) -> Exists:
    """The row's entitlement is in one of ``ids``: a primary-key probe per row.

    A join on ``entitlement__region_id`` lets SQLite (no ANALYZE statistics)
    start from the region's 400,000 pensions at a million and probe the small
    table for each: 50–120 ms for a dashboard figure of a few hundred rows."""
    return Exists(
        Entitlement.objects.filter(pk=OuterRef("entitlement_id"), region_id__in=ids)
    )


def suspension_runs_for_staff(user: Any) -> QuerySet[SuspensionRun]:
    """Runs of the staff's region, and the runs over every region (whose list
    each region's staff see cut to their own people)."""
    runs = SuspensionRun.objects.select_related("region", "run_by")
    if user.staff_region_id is None:
        return runs
    return runs.filter(Q(region_id=user.staff_region_id) | Q(region__isnull=True))


def access_suspension_run(user: Any, public_id: Any) -> SuspensionRun:
    return get_object_or_404(suspension_runs_for_staff(user), public_id=public_id)


def run_entitlements(user: Any, run: SuspensionRun) -> QuerySet[Any]:
    """The entitlements a run suspended that the staff user may see."""
    entitlements = run.entitlements.all()
    ids = _region_ids(user)
    return entitlements if ids is None else entitlements.filter(region_id__in=ids)


def back_pays_for_staff(user: Any) -> QuerySet[BackPay]:
    back_pays = BackPay.objects.select_related(
        "entitlement__person", "entitlement__region", "entitlement__unit"
    )
    ids = _region_ids(user)
    return back_pays if ids is None else back_pays.filter(_of_regions(ids))


def overpayments_for_staff(user: Any) -> QuerySet[Overpayment]:
    overpayments = Overpayment.objects.select_related(
        "entitlement__person", "entitlement__region", "status_by", "case"
    )
    ids = _region_ids(user)
    if ids is None:
        return overpayments
    return overpayments.filter(_of_regions(ids))


def access_overpayment(user: Any, public_id: Any) -> Overpayment:
    return get_object_or_404(overpayments_for_staff(user), public_id=public_id)


def death_cases_for_staff(user: Any) -> QuerySet[DeathAfterCertificationCase]:
    cases = DeathAfterCertificationCase.objects.select_related(
        "person", "entitlement__region", "unit", "face_session", "closed_by"
    )
    ids = _region_ids(user)
    return cases if ids is None else cases.filter(_of_regions(ids))


def access_death_case(user: Any, public_id: Any) -> DeathAfterCertificationCase:
    return get_object_or_404(death_cases_for_staff(user), public_id=public_id)


def certifications_for_staff(user: Any) -> QuerySet[Certification]:
    """Certifications recorded in the staff user's region (province: all)."""
    ids = _region_ids(user)
    certifications = Certification.objects.all()
    return certifications if ids is None else certifications.filter(region_id__in=ids)


def reviews_for_staff(user: Any) -> QuerySet[ReviewRequest]:
    """人工审核 cases of the staff's region (province: all), with their session."""
    reviews = ReviewRequest.objects.select_related("person", "region", "face_session")
    ids = _region_ids(user)
    return reviews if ids is None else reviews.filter(region_id__in=ids)


def access_review(user: Any, public_id: Any) -> ReviewRequest:
    return get_object_or_404(reviews_for_staff(user), public_id=public_id)
