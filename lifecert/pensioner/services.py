"""Self-service face certification: every write of the pensioner side goes here.

A face session is one-time, bound to one person and one challenge, and expires.
The verifier's state is saved on the ``FaceSession`` after every frame, so any
worker can take the next frame. ``frames_seen`` doubles as a version number:
a frame is applied only if nobody else advanced the session meanwhile
(optimistic concurrency, so the engine never runs inside a database lock), and
only the single update that moves the session out of ``open`` may write a
certification, so a replayed or duplicated frame can never certify twice.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from lifecert.certification import face
from lifecert.certification.enrolment import reference_descriptors
from lifecert.certification.models import (
    Certification,
    Channel,
    FaceSession,
    ReviewRequest,
)
from lifecert.certification.services import record_certification
from lifecert.core import audit
from lifecert.registry.models import Entitlement, Person

# The browser sends at most this many frames a second, one in flight at a time.
FRAMES_PER_SECOND = 8

REVIEW_REASON = "当日人脸认证失败次数已达上限，转人工审核（窗口或上门认证）"
NAME_SSN_MISMATCH = (
    "您输入的姓名或社会保障号码与社保机构登记的信息不一致，请核对后重新输入。"
)


class CertificationError(Exception):
    """A request the pensioner side refuses; ``message`` is shown to the user."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


# ---------------------------------------------------------------- login


LOGIN_FAILURES_ALLOWED = 10
LOGIN_LOCK_SECONDS = 15 * 60


def _login_key(ip: str | None) -> str:
    return f"pensioner:cert-login-failures:{ip or 'unknown'}"


def find_registered_person(*, name: str, ssn: str, ip: str | None = None) -> Person:
    """The person registered under ``ssn`` whose name matches, else an error.

    Wrong pairs are counted per address, so that names cannot be tried against
    numbers without end (the answer never says which of the two was wrong).
    """
    key = _login_key(ip)
    if cache.get(key, 0) >= LOGIN_FAILURES_ALLOWED:
        raise CertificationError("locked", "输入错误次数过多，请 15 分钟后再试。", 429)
    person = Person.objects.filter(ssn=ssn.strip().upper()).first()
    if person is None or person.name.strip().casefold() != name.strip().casefold():
        cache.add(key, 0, LOGIN_LOCK_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, LOGIN_LOCK_SECONDS)
        raise CertificationError("not_registered", NAME_SSN_MISMATCH)
    return person


# ---------------------------------------------------------------- failures


def local_day_start(now: datetime.datetime | None = None) -> datetime.datetime:
    local = timezone.localtime(now or timezone.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def failures_today(person: Person, now: datetime.datetime | None = None) -> int:
    return FaceSession.objects.filter(
        person=person,
        status=FaceSession.Status.FAILED,
        created_at__gte=local_day_start(now),
    ).count()


def camera_blocked(person: Person, now: datetime.datetime | None = None) -> bool:
    return failures_today(person, now) >= settings.FACE_MAX_FAILURES_PER_DAY


def open_review_today(person: Person) -> ReviewRequest | None:
    return (
        ReviewRequest.objects.filter(
            person=person,
            status=ReviewRequest.Status.OPEN,
            created_at__gte=local_day_start(),
        )
        .order_by("-created_at")
        .first()
    )


# ---------------------------------------------------------------- sessions


def _ready_references(person: Person) -> list[list[float]]:
    return reference_descriptors(person)


def start_session(
    *,
    person: Person,
    entitlement: Entitlement | None,
    account: Any,
    ip: str | None,
) -> FaceSession:
    """Open a new one-time face session; earlier open ones of the person expire."""
    if entitlement is None:
        raise CertificationError(
            "no_entitlement", "未找到您的养老待遇记录，请联系参保地社保经办机构。", 404
        )
    if entitlement.status == Entitlement.Status.TERMINATED:
        raise CertificationError(
            "terminated", "该养老待遇已终止，无需进行资格认证。", 403
        )
    if camera_blocked(person):
        raise CertificationError(
            "blocked",
            "您今天的人脸认证失败次数已达上限，请通过窗口或上门认证等其他方式进行认证。",
            403,
        )
    if not _ready_references(person):
        raise CertificationError(
            "not_enrolled",
            "您尚未建模（未登记认证照片），请携带身份证到参保地社保经办机构窗口办理建模。",
            403,
        )
    now = timezone.now()
    challenge = face.new_challenge()
    with transaction.atomic():
        FaceSession.objects.filter(
            person=person, status=FaceSession.Status.OPEN
        ).update(status=FaceSession.Status.EXPIRED, verdict="expired", finished_at=now)
        session = FaceSession.objects.create(
            person=person,
            region=entitlement.region,
            account=account if getattr(account, "is_authenticated", False) else None,
            challenge=challenge,
            state=None,
            ip=ip,
            expires_at=now
            + datetime.timedelta(seconds=float(challenge["session_seconds"])),
        )
    return session


def challenge_payload(session: FaceSession) -> dict[str, Any]:
    labels = face.action_labels()
    actions = list(session.challenge["actions"])
    return {
        "id": str(session.public_id),
        "actions": actions,
        "prompts": [labels.get(a, a) for a in actions],
        "per_action_seconds": session.challenge["per_action_seconds"],
        "session_seconds": session.challenge["session_seconds"],
        "expires_at": session.expires_at.isoformat(),
        "frame_interval_ms": int(1000 / FRAMES_PER_SECOND),
        "max_batch_frames": settings.FACE_MAX_BATCH_FRAMES,
    }


@dataclass
class FrameOutcome:
    progress: dict[str, Any]
    session: FaceSession
    certification: Certification | None = None
    review: ReviewRequest | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _elapsed(session: FaceSession, now: datetime.datetime) -> float:
    return max(0.0, (now - session.created_at).total_seconds())


def _timestamp(
    session: FaceSession,
    client_ts: float | None,
    now: datetime.datetime,
    last: float | None = None,
) -> float:
    """The frame's time: the browser's capture time, never ahead of the server's
    clock and always after the previous frame (``last``, else the session's)."""
    server = _elapsed(session, now)
    if last is None:
        last = float((session.state or {}).get("last_ts", -1.0))
    ts = server if client_ts is None else min(max(client_ts, 0.0), server)
    return max(ts, last + 0.001)


def ensure_open(session: FaceSession, now: datetime.datetime | None = None) -> None:
    """Refuse anything on a finished or expired session (410)."""
    now = now or timezone.now()
    if session.status != FaceSession.Status.OPEN:
        raise CertificationError(
            "finished", "本次认证已结束，请重新进入资格认证。", 410
        )
    if now >= session.expires_at:
        updated = FaceSession.objects.filter(
            pk=session.pk, status=FaceSession.Status.OPEN
        ).update(status=FaceSession.Status.EXPIRED, verdict="expired", finished_at=now)
        if updated:
            audit.record(
                "face_session.expire",
                acting_user=None,
                target=session,
                after={"frames": session.frames_seen},
            )
        raise CertificationError("expired", face.verdict_message("expired"), 410)


def submit_frames(
    *,
    session: FaceSession,
    frames: Sequence[tuple[bytes, float | None]],
    acting_user: Any,
    ip: str | None,
) -> FrameOutcome:
    """Feed frames (JPEG, capture time) in order; save the state once.

    A browser on a slow line sends the frames it captured while the previous
    request was under way, so the engine still sees the actions at the
    camera's pace. A frame the engine rejects (no face, bad image) is skipped;
    if every one is, the last rejection is the answer, as for a single frame.
    A verdict ends the batch.
    """
    now = timezone.now()
    ensure_open(session, now)
    wrapper = session.state or {}
    state = wrapper.get("engine")
    last = float(wrapper.get("last_ts", -1.0))
    references = _ready_references(session.person)
    step: face.Step | None = None
    rejected: face.FrameRejected | None = None
    accepted = 0
    for frame, client_ts in frames:
        ts = _timestamp(session, client_ts, now, last)
        try:
            step = face.feed(session.challenge, references, state, ts, frame)
        except face.FrameRejected as exc:
            rejected = exc
            continue
        rejected = None
        state, last, accepted = step.state, ts, accepted + 1
        if step.verdict:
            break
    if step is None:
        assert rejected is not None  # noqa: S101 an empty batch is refused by the view
        raise CertificationError(rejected.code, rejected.message, 400) from rejected
    outcome = _apply(
        session, step, last, acting_user=acting_user, ip=ip, frames=accepted
    )
    if rejected is not None and not step.verdict:  # the newest frame had no face
        outcome.progress = {**outcome.progress, "coaching": rejected.message}
    return outcome


def finish_session(
    *, session: FaceSession, acting_user: Any, ip: str | None
) -> FrameOutcome:
    """The browser's time is up: ask the engine for its verdict now."""
    now = timezone.now()
    ensure_open(session, now)
    ts = _timestamp(session, None, now)
    wrapper = session.state or {}
    step = face.finish(
        session.challenge,
        _ready_references(session.person),
        wrapper.get("engine"),
        ts,
    )
    return _apply(session, step, ts, acting_user=acting_user, ip=ip, frames=0)


def _apply(
    session: FaceSession,
    step: face.Step,
    ts: float,
    *,
    acting_user: Any,
    ip: str | None,
    frames: int,
) -> FrameOutcome:
    version = session.frames_seen
    new_state = {"engine": step.state, "last_ts": ts}
    verdict = step.verdict
    if not verdict:
        updated = FaceSession.objects.filter(
            pk=session.pk, status=FaceSession.Status.OPEN, frames_seen=version
        ).update(state=new_state, frames_seen=version + frames)
        if not updated:
            raise CertificationError("busy", "上一帧仍在处理中，请稍候。", 409)
        session.state, session.frames_seen = new_state, version + frames
        return FrameOutcome(step.progress, session)
    return _conclude(
        session, step, new_state, verdict, acting_user=acting_user, ip=ip, frames=frames
    )


def _score(verdict: dict[str, Any]) -> float | None:
    for key in ("score", "distance", "match_distance"):
        value = verdict.get(key)
        if isinstance(value, int | float):
            return float(value)
    return None


def _conclude(
    session: FaceSession,
    step: face.Step,
    new_state: dict[str, Any],
    verdict: dict[str, Any],
    *,
    acting_user: Any,
    ip: str | None,
    frames: int,
) -> FrameOutcome:
    code = str(verdict.get("code", "liveness_failed"))
    passed = code == "passed"
    now = timezone.now()
    score = _score(verdict)
    outcome = FrameOutcome(step.progress, session)
    with transaction.atomic():
        # Only the one update that closes the open session may go on.
        updated = FaceSession.objects.filter(
            pk=session.pk,
            status=FaceSession.Status.OPEN,
            frames_seen=session.frames_seen,
        ).update(
            state=new_state,
            frames_seen=session.frames_seen + frames,
            status=FaceSession.Status.PASSED if passed else FaceSession.Status.FAILED,
            verdict=code,
            score=score,
            finished_at=now,
        )
        if not updated:
            raise CertificationError(
                "finished", "本次认证已结束，请重新进入资格认证。", 410
            )
        session.refresh_from_db()
        audit.record(
            "face_session.finish",
            acting_user=acting_user,
            target=session,
            ip=ip,
            after={
                "person": str(session.person.public_id),
                "verdict": code,
                "detail": verdict.get("detail"),
                "done_actions": verdict.get("done_actions"),
                "score": score,
                "frames": session.frames_seen,
            },
        )
        if passed:
            entitlement = Entitlement.objects.get(
                person_id=session.person_id, region_id=session.region_id
            )
            certification, _ = record_certification(
                entitlement=entitlement,
                channel=Channel.FACE,
                acting_user=acting_user,
                at=now,
                evidence={
                    "face_session": str(session.public_id),
                    "score": score,
                    "actions": list(session.challenge.get("actions", [])),
                    "frames": session.frames_seen,
                },
                operator_name="人脸自助",
                ip=ip,
            )
            session.certification = certification
            session.save(update_fields=["certification"])
            outcome.certification = certification
        else:
            outcome.review = _review_if_blocked(
                session.person, session, acting_user, ip
            )
    return outcome


def _review_if_blocked(
    person: Person, session: FaceSession, acting_user: Any, ip: str | None
) -> ReviewRequest | None:
    """At the day's last allowed failure, record one manual-review request."""
    if not camera_blocked(person):
        return None
    existing = open_review_today(person)
    if existing is not None:
        return existing
    review = ReviewRequest.objects.create(
        person=person, region_id=session.region_id, reason=REVIEW_REASON
    )
    audit.record(
        "review_request.create",
        acting_user=acting_user,
        target=review,
        ip=ip,
        after={
            "person": str(person.public_id),
            "failures_today": failures_today(person),
            "last_session": str(session.public_id),
        },
    )
    return review


# ---------------------------------------------------------------- family help


def link_family_member(
    *, account: Any, person: Person, session: FaceSession, ip: str | None
) -> bool:
    """Add ``person`` to the family members ``account`` helps, once the person's
    own face certification in ``session`` has passed."""
    from lifecert.accounts.models import FamilyLink

    if session.status != FaceSession.Status.PASSED or session.person_id != person.pk:
        return False
    link, created = FamilyLink.objects.get_or_create(account=account, person=person)
    if created:
        audit.record(
            "family.link",
            acting_user=account,
            target=link,
            ip=ip,
            after={
                "person": str(person.public_id),
                "face_session": str(session.public_id),
            },
        )
    return created
