"""人工审核影像: what staff see of a failed face session kept for review.

The frames stay sealed in the database (``lifecert.core.vault``) and are
opened one at a time, for staff of the review's region, each opening audited
(``review.evidence_view``). They are purged after ``FACE_REVIEW_KEEP_DAYS``
(``biometrics.purge_biometrics``); ``evidence_until`` stays, so the page
can say when they went.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction

from .biometrics import review_frames
from .models import FaceSession, ReviewRequest

NO_FRAME = "该影像不存在或已按保留期限清除。"


@dataclass(frozen=True)
class ReviewEvidence:
    """The review's session and its frames: how many are kept, until when."""

    session: FaceSession | None
    frames: int
    kept_until: datetime.datetime | None

    @property
    def purged(self) -> bool:
        """Frames were kept and their window is over (purged, or about to be)."""
        return self.kept_until is not None and (
            self.frames == 0 or self.kept_until < timezone.now()
        )

    def has_frame(self, index: int) -> bool:
        """Whether frame ``index`` (from 0) can be opened now."""
        return self.session is not None and not self.purged and 0 <= index < self.frames


def evidence_of(review: ReviewRequest) -> ReviewEvidence:
    """What the review page shows, without opening anything."""
    session = review.face_session
    if session is None:
        return ReviewEvidence(None, 0, None)
    return ReviewEvidence(session, len(session.evidence or []), session.evidence_until)


def open_review_frame(
    *, review: ReviewRequest, index: int, acting_user: Any, ip: str | None
) -> bytes:
    """One kept frame (JPEG) of the review's session, audited; ``LookupError``
    when there is no such frame (none kept, purged, or past the window)."""
    evidence = evidence_of(review)
    if evidence.session is None or not evidence.has_frame(index):
        raise LookupError(NO_FRAME)
    frame = review_frames(evidence.session)[index]
    with transaction.atomic():
        audit.record(
            AuditAction.REVIEW_EVIDENCE_VIEW,
            acting_user=acting_user,
            target=review,
            ip=ip,
            after={
                "face_session": str(evidence.session.public_id),
                "frame": index + 1,
                "frames": evidence.frames,
            },
        )
    return frame
