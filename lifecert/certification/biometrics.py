"""Biometric data only as long as needed: the frames a failed face session
keeps for the manual review (sealed, ``lifecert.core.vault``), opened here
only; ``purge_biometrics`` drops them after ``FACE_REVIEW_KEEP_DAYS`` and any
half-way state of a session that is over (``manage.py purge_face_evidence``,
daily); ``reseal_biometrics`` moves every sealed value to the newest data key
(``manage.py rotate_data_key``). Which frames are kept is decided where the
session ends (``face_sessions``).
"""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lifecert.core import audit, vault
from lifecert.core.audit_actions import AuditAction

from .models import FaceSession, FaceTemplate


def review_frames(session: FaceSession) -> list[bytes]:
    """The JPEG frames kept of a failed session for the manual review."""
    return [vault.open_bytes(sealed) for sealed in session.evidence or []]


def purge_biometrics(now: datetime.datetime | None = None) -> dict[str, int]:
    """Drop what no longer needs keeping: review frames past their window, any
    state left on a session that is over. Idempotent (run daily)."""
    now = now or timezone.now()
    # ``evidence_until`` stays: the review page says when the frames went.
    evidence = FaceSession.objects.filter(
        evidence__isnull=False, evidence_until__lt=now
    ).update(evidence=None)
    over = (
        FaceSession.objects.exclude(state=None)
        .exclude(status__in=[FaceSession.Status.PASSED, FaceSession.Status.FAILED])
        .filter(~Q(status=FaceSession.Status.OPEN) | Q(expires_at__lte=now))
    )
    states = over.update(state=None)
    if evidence or states:
        audit.record(
            AuditAction.FACE_SESSION_PURGE,
            acting_user=None,
            target=None,
            after={"evidence": evidence, "states": states},
        )
    return {"evidence": evidence, "states": states}


def reseal_biometrics(*, batch: int = 500) -> dict[str, int]:
    """Re-seal every sealed biometric under the newest data key.

    Rows already under the newest key are left as they are, so it can run again
    after an interruption. A session a worker moved on meanwhile keeps the
    worker's value (it was sealed with the newest key anyway).
    """
    newest = vault.current_key_id()
    counts = {"templates": 0, "sessions": 0}
    last = 0
    while True:
        with transaction.atomic():
            templates = list(
                FaceTemplate.objects.select_for_update()
                .filter(pk__gt=last)
                .order_by("pk")
                .only("pk", "photo", "descriptor")[:batch]
            )
            if not templates:
                break
            changed = []
            for t in templates:
                photo, desc = vault.reseal(t.photo), None
                if t.descriptor:
                    desc = vault.reseal(t.descriptor)
                if photo or desc:
                    t.photo = photo.encode("ascii") if photo else t.photo
                    t.descriptor = desc or t.descriptor
                    changed.append(t)
            FaceTemplate.objects.bulk_update(changed, ["photo", "descriptor"])
            counts["templates"] += len(changed)
            last = templates[-1].pk
    last = 0
    while True:
        sessions = list(
            FaceSession.objects.filter(pk__gt=last)
            .filter(Q(state__isnull=False) | Q(evidence__isnull=False))
            .order_by("pk")
            .only("pk", "state", "evidence", "frames_seen", "status")[:batch]
        )
        if not sessions:
            break
        last = sessions[-1].pk
        for fs in sessions:
            sealed = [fs.state] if fs.state else []
            sealed += list(fs.evidence or [])
            if all(vault.sealed_key_id(v) == newest for v in sealed):
                continue
            state = (vault.reseal(fs.state) or fs.state) if fs.state else None
            evidence = (
                [vault.reseal(f) or f for f in fs.evidence] if fs.evidence else None
            )
            counts["sessions"] += FaceSession.objects.filter(
                pk=fs.pk, frames_seen=fs.frames_seen, status=fs.status
            ).update(state=state, evidence=evidence)
    return counts
