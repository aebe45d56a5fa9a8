"""Checked registry uploads waiting for their confirmation (导入预览 → 确认导入).

The upload's bytes and the plan staff were shown are kept as a
``PendingImport`` by a random token, for the staff member who uploaded it
only, for ``IMPORT_PENDING_HOURS``. A row in the database rather than the
session (a 200,000-row plan is too large for a session) or a file (workers on
several machines share the database, not a folder).
"""

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.utils import timezone

from lifecert.registry.import_plan import Plan

from .models import PendingImport


def _summary(plan: Plan) -> dict[str, Any]:
    return {
        "counts": plan.counts(),
        "rows": plan.display(),
        "skipped": [list(s) for s in plan.skipped],
    }


def _sweep() -> None:
    """Forget uploads nobody confirmed in time."""
    oldest = timezone.now() - datetime.timedelta(hours=settings.IMPORT_PENDING_HOURS)
    PendingImport.objects.filter(created_at__lt=oldest).delete()


def save(data: bytes, *, user: Any, plan: Plan, file_name: str) -> uuid.UUID:
    """Keep ``data`` and the ``plan`` shown for it; the token of the preview."""
    _sweep()
    pending = PendingImport.objects.create(
        uploaded_by=user,
        file_name=file_name[:255],
        data=data,
        fingerprint=plan.fingerprint,
        summary=_summary(plan),
    )
    return pending.token


def load(token: uuid.UUID, user: Any) -> PendingImport | None:
    """The upload ``user`` made under ``token`` (without its bytes); ``None``
    for anyone else's, an expired, a confirmed or a taken one."""
    oldest = timezone.now() - datetime.timedelta(hours=settings.IMPORT_PENDING_HOURS)
    return (
        PendingImport.objects.defer("data")
        .filter(token=token, uploaded_by=user, created_at__gte=oldest, confirming=False)
        .first()
    )


def data(pending: PendingImport) -> bytes:
    found = PendingImport.objects.values_list("data", flat=True).get(pk=pending.pk)
    return bytes(found)


def claim(pending: PendingImport) -> bool:
    """Take the upload for one confirmation: a second click (or worker) that
    comes while the first is writing finds it taken. ``False``: taken already."""
    taken = PendingImport.objects.filter(pk=pending.pk, confirming=False).update(
        confirming=True
    )
    return taken == 1


def release(pending: PendingImport, plan: Plan) -> None:
    """Give a claimed upload back, with the new ``plan`` to show."""
    PendingImport.objects.filter(pk=pending.pk).update(
        confirming=False, fingerprint=plan.fingerprint, summary=_summary(plan)
    )


def discard(pending: PendingImport) -> None:
    PendingImport.objects.filter(pk=pending.pk).delete()
