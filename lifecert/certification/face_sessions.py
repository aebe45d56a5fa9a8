"""Face certification sessions: start, frames, finish, verdict, certification.

The room of self-service face certification. A face session is one-time, bound
to one person and one challenge, and expires; every write of it goes through
this module, and the engine is reached only through :mod:`.face`.

Who decides time: the server. A frame's time is its arrival on the server's
clock, moved back by what the browser says it waited before sending it, and
only within ``FACE_FRAME_SKEW_SECONDS`` (a batch claiming a longer span is
refused, the session goes on). Each action is revealed when the engine decides
(after a random hold of a still face), at the time the answer leaves.

What counts: every started session that does not pass is an attempt once a face
was seen in it (a new start abandons the open one; an expired or abandoned one
counts too). Per person and local day at most ``FACE_MAX_FAILURES_PER_DAY``
such attempts and ``FACE_MAX_STARTS_PER_DAY`` starts, counted in the database
under a lock on the person, so every worker sees the same numbers. A session
that never saw a face is no failure and opens no review case.

Concurrency: ``frames_seen`` is a version number; a batch is applied only if
nobody advanced the session meanwhile (the engine never runs inside a database
lock), and only the update that moves the session out of ``open`` may write a
certification, so a replayed frame can never certify twice.
"""

import datetime
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lifecert.core import audit, vault
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.models import Entitlement, Person

from . import face
from .enrolment import reference_descriptors
from .face_attempts import (
    address_full,
    camera_blocked,
    counted,
    failures_today,
    is_enrolled,
    lock_room,
    open_review_today,
    room_full,
    sessions_today,
    starts_today,
    tries_left,
)
from .models import Certification, Channel, FaceSession, ReviewRequest
from .services import record_certification

verdict_message = face.verdict_message

REVIEW_REASON = "当日人脸认证失败次数已达上限，转人工审核（窗口或上门认证）"
FINISHED_MESSAGE = "本次认证已结束，请重新进入资格认证。"
BUSY_MESSAGE = (
    "当前进行人脸认证的人较多，请稍等 1 分钟后点击“重新开始”再试。这次不计入认证次数。"
)
BUSY_ADDRESS_MESSAGE = (
    "本网络同时进行的人脸认证过多，请等前面的认证完成后再点击“重新开始”。"
    "这次不计入认证次数。"
)
# The browser's pace: 8 frames a second while the face is read for an action
# (a blink's closed eyes last one or two such frames) and while it settles,
# 2 a second while the server holds the next prompt back: the hold only needs
# to see that the face keeps still (a head movement or an open mouth lasts
# over a second: two frames at least) and is in view when the prompt is
# revealed (docs/benchmarks.md, "Fewer frames a certification").
FRAME_INTERVAL_MS = {"act": 125, "settle": 125, "hold": 500, "done": 125}


class FaceSessionError(Exception):
    """A request refused; ``message`` is shown to the user, ``status`` is HTTP."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


# ---------------------------------------------------------------- start


BLOCKED_MESSAGE = (
    "您今天的人脸认证失败次数已达上限，请通过窗口或上门认证等其他方式进行认证。"
)


def start_session(
    *,
    person: Person,
    entitlement: Entitlement | None,
    account: Any,
    ip: str | None,
) -> FaceSession:
    """Open a new one-time face session; an open one of the person is abandoned."""
    if entitlement is None:
        raise FaceSessionError(
            "no_entitlement", "未找到您的养老待遇记录，请联系参保地社保经办机构。", 404
        )
    if entitlement.status == Entitlement.Status.TERMINATED:
        raise FaceSessionError(
            "terminated", "该养老待遇已终止，无需进行资格认证。", 403
        )
    if not is_enrolled(person):
        raise FaceSessionError(
            "not_enrolled",
            "您尚未建模（未登记认证照片），请携带身份证到参保地社保经办机构窗口办理建模。",
            403,
        )
    challenge = face.new_challenge()
    acting = account if getattr(account, "is_authenticated", False) else None
    with transaction.atomic():
        # One start at a time in the room, then per person, across every
        # worker: the caps count the sessions of starts before this one.
        lock_room()
        if address_full(person, ip):
            raise FaceSessionError("busy_address", BUSY_ADDRESS_MESSAGE, 503)
        if room_full(person):
            raise FaceSessionError("busy_server", BUSY_MESSAGE, 503)
        Person.objects.select_for_update().filter(pk=person.pk).first()
        now = timezone.now()
        if starts_today(person, now) >= settings.FACE_MAX_STARTS_PER_DAY:
            raise FaceSessionError(
                "too_many_starts",
                "您今天开始人脸认证的次数已达上限，请明天再试，"
                "或通过窗口、上门认证等其他方式进行认证。",
                429,
            )
        for old in FaceSession.objects.filter(
            person=person, status=FaceSession.Status.OPEN
        ):
            _end(old, FaceSession.Status.ABANDONED, "abandoned", now, acting, ip)
        blocked = camera_blocked(person, now)
        if blocked:
            # Kept: the abandoned session and the review case (no raise inside).
            _review_if_blocked(person, entitlement.region_id, None, acting, ip)
        else:
            session = _create(person, entitlement, acting, challenge, ip, now)
    if blocked:
        raise FaceSessionError("blocked", BLOCKED_MESSAGE, 403)
    return session


def _create(
    person: Person,
    entitlement: Entitlement,
    acting: Any,
    challenge: dict[str, Any],
    ip: str | None,
    now: datetime.datetime,
) -> FaceSession:
    session = FaceSession.objects.create(
        person=person,
        region=entitlement.region,
        account=acting,
        challenge=challenge,
        state=None,
        ip=ip,
        expires_at=now
        + datetime.timedelta(seconds=float(challenge["session_seconds"])),
    )
    audit.record(
        AuditAction.FACE_SESSION_START,
        acting_user=acting,
        target=session,
        ip=ip,
        after={"person": str(person.public_id), "steps": len(challenge["actions"])},
    )
    return session


def _end(
    session: FaceSession,
    status: str,
    verdict: str,
    now: datetime.datetime,
    acting: Any,
    ip: str | None,
) -> bool:
    """Close an open session without a verdict of the engine (abandoned,
    expired); its half-way state, biometric, is dropped."""
    updated = FaceSession.objects.filter(
        pk=session.pk, status=FaceSession.Status.OPEN
    ).update(status=status, verdict=verdict, finished_at=now, state=None)
    if updated:
        audit.record(
            AuditAction(f"face_session.{verdict}"),
            acting_user=acting,
            target=session,
            ip=ip,
            after={"frames": session.frames_seen, "face_seen": session.face_seen},
        )
    return bool(updated)


def start_payload(session: FaceSession) -> dict[str, Any]:
    """What the browser learns at the start: how many steps, not which."""
    return {
        "id": str(session.public_id),
        "steps": len(session.challenge["actions"]),
        "session_seconds": session.challenge["session_seconds"],
        "expires_at": session.expires_at.isoformat(),
        "frame_interval_ms": FRAME_INTERVAL_MS["settle"],
        "max_batch_frames": settings.FACE_MAX_BATCH_FRAMES,
        "send_interval_ms": settings.FACE_SEND_INTERVAL_MS,
        # What the browser may put in one request: the skew bound less a margin
        # for the time between capture and the request leaving.
        "max_frame_span_s": max(0.25, settings.FACE_FRAME_SKEW_SECONDS - 0.3),
    }


# ---------------------------------------------------------------- frames


@dataclass
class FrameOutcome:
    progress: face.Progress
    session: FaceSession
    certification: Certification | None = None
    review: ReviewRequest | None = None
    coaching: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The browser's view: the engine's progress, the verdict's words."""
        data = self.progress.to_dict()
        verdict = self.progress.verdict
        if verdict is not None:
            data["verdict"] = {"code": verdict.code, "message": verdict.message}
            data["tries_left"] = tries_left(self.session.person)
            data["counted"] = counted(self.session)
        if self.coaching is not None:
            data["coaching"] = self.coaching
        data["frames_seen"] = self.session.frames_seen
        data["frame_interval_ms"] = FRAME_INTERVAL_MS[self.progress.phase]
        return data


def _elapsed(session: FaceSession, now: datetime.datetime) -> float:
    return max(0.0, (now - session.created_at).total_seconds())


def frame_times(
    claimed: Sequence[float | None], arrival: float, skew: float
) -> list[float]:
    """Server times of a batch's frames, oldest first.

    The newest frame is placed at its arrival; each older one earlier by what
    the browser says passed between their captures (1/8 s apart when it says
    nothing). A batch whose claims span more than ``skew`` seconds, go
    backwards or are not numbers is refused: the browser's clock never moves a
    frame further from the server's than one slow-line batch.
    """
    n = len(claimed)
    if any(c is None for c in claimed):
        return [arrival - (n - 1 - i) * 0.125 for i in range(n)]
    values = [float(c) for c in claimed if c is not None]
    if any(b < a for a, b in itertools.pairwise(values)):
        raise FaceSessionError(
            "bad_order", "收到的图像顺序有误，请刷新页面后重试。", 400
        )
    if values[-1] - values[0] > skew:
        raise FaceSessionError(
            "stale_frames",
            "收到的图像时间与服务器时间相差太大，已丢弃，请保持网络畅通继续认证。",
            400,
        )
    return [arrival - (values[-1] - c) for c in values]


def ensure_open(session: FaceSession, now: datetime.datetime | None = None) -> None:
    """Refuse anything on a finished or expired session (410)."""
    now = now or timezone.now()
    if session.status != FaceSession.Status.OPEN:
        raise FaceSessionError("finished", FINISHED_MESSAGE, 410)
    if now >= session.expires_at:
        _end(session, FaceSession.Status.EXPIRED, "expired", now, None, None)
        raise FaceSessionError("expired", face.verdict_message("expired"), 410)


def submit_frames(
    *,
    session: FaceSession,
    frames: Sequence[tuple[bytes, float | None]],
    acting_user: Any,
    ip: str | None,
) -> FrameOutcome:
    """Feed a batch of frames (JPEG, the browser's capture time) and save once.

    A frame the engine rejects (no face, bad image) is skipped; if the newest
    one is, its reason is the coaching.
    """
    now = timezone.now()
    ensure_open(session, now)
    arrival = _elapsed(session, now)
    times = frame_times(
        [ts for _frame, ts in frames], arrival, settings.FACE_FRAME_SKEW_SECONDS
    )
    try:
        step = face.run(
            session.challenge,
            References(session.person),
            _engine_state(session),
            [(t, frame) for t, (frame, _ts) in zip(times, frames, strict=True)],
            _elapsed(session, timezone.now()),
        )
    except face.StateVersionError:
        _end(session, FaceSession.Status.EXPIRED, "expired", now, None, None)
        raise FaceSessionError("restart", FINISHED_MESSAGE, 410) from None
    if step.accepted == 0 and step.rejected is not None and not step.verdict:
        raise FaceSessionError(step.rejected.code, step.rejected.message, 400)
    outcome = _apply(session, step, acting_user=acting_user, ip=ip)
    if step.rejected is not None and not step.verdict:
        outcome.coaching = step.rejected.message  # the newest frame had no face
    return outcome


def finish_session(
    *, session: FaceSession, acting_user: Any, ip: str | None
) -> FrameOutcome:
    """The browser's time is up: ask the engine for its verdict now."""
    now = timezone.now()
    ensure_open(session, now)
    try:
        step = face.finish(
            session.challenge,
            References(session.person),
            _engine_state(session),
            _elapsed(session, now),
        )
    except face.StateVersionError:
        _end(session, FaceSession.Status.EXPIRED, "expired", now, None, None)
        raise FaceSessionError("restart", FINISHED_MESSAGE, 410) from None
    return _apply(session, step, acting_user=acting_user, ip=ip)


class References(Sequence[list[float]]):
    """The person's enrolled descriptors, read from the database and opened
    from the vault only when the engine first looks at them: at the verdict,
    not on each of the session's frame requests."""

    def __init__(self, person: Person) -> None:
        self._person = person
        self._values: list[list[float]] | None = None

    def _all(self) -> list[list[float]]:
        if self._values is None:
            self._values = reference_descriptors(self._person)
        return self._values

    @overload
    def __getitem__(self, index: int) -> list[float]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[float]]: ...

    def __getitem__(self, index: int | slice) -> list[float] | list[list[float]]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    @property
    def loaded(self) -> bool:
        return self._values is not None


def _engine_state(session: FaceSession) -> dict[str, Any] | None:
    """The engine's state, opened from the vault for the next batch only."""
    if session.state is None:
        return None
    state: dict[str, Any] = vault.open_json(session.state)
    return state


def _sealed_state(state: dict[str, Any] | None) -> str | None:
    return None if state is None else vault.seal_json(state)


def _apply(
    session: FaceSession, step: face.Step, *, acting_user: Any, ip: str | None
) -> FrameOutcome:
    version = session.frames_seen
    face_seen = session.face_seen or step.progress.face_seen
    if step.verdict is None:
        sealed_state = _sealed_state(step.state)
        updated = FaceSession.objects.filter(
            pk=session.pk, status=FaceSession.Status.OPEN, frames_seen=version
        ).update(
            state=sealed_state,
            frames_seen=version + step.accepted,
            face_seen=face_seen,
        )
        if not updated:
            raise FaceSessionError("busy", "上一帧仍在处理中，请稍候。", 409)
        session.state, session.frames_seen = sealed_state, version + step.accepted
        session.face_seen = face_seen
        return FrameOutcome(step.progress, session)
    return _conclude(
        session, step, step.verdict, face_seen, acting_user=acting_user, ip=ip
    )


def _conclude(
    session: FaceSession,
    step: face.Step,
    verdict: face.Verdict,
    face_seen: bool,
    *,
    acting_user: Any,
    ip: str | None,
) -> FrameOutcome:
    passed = verdict.passed
    # A capture too poor to judge (dark, blurred, far) is coached, not counted:
    # failures_today counts only sessions that saw a face.
    face_seen = face_seen and verdict.code not in face.NOT_COUNTED
    now = timezone.now()
    outcome = FrameOutcome(step.progress, session)
    keep_until = now + datetime.timedelta(days=settings.FACE_REVIEW_KEEP_DAYS)
    with transaction.atomic():
        # Only the one update that closes the open session may go on.
        updated = FaceSession.objects.filter(
            pk=session.pk,
            status=FaceSession.Status.OPEN,
            frames_seen=session.frames_seen,
        ).update(
            state=_sealed_state(step.state),
            frames_seen=session.frames_seen + step.accepted,
            face_seen=face_seen,
            status=FaceSession.Status.PASSED if passed else FaceSession.Status.FAILED,
            verdict=verdict.code,
            score=verdict.distance,
            finished_at=now,
            evidence=[vault.seal(frame) for frame in step.kept] or None,
            evidence_until=keep_until if step.kept else None,
        )
        if not updated:
            raise FaceSessionError("finished", FINISHED_MESSAGE, 410)
        session.refresh_from_db()
        audit.record(
            AuditAction.FACE_SESSION_FINISH,
            acting_user=acting_user,
            target=session,
            ip=ip,
            after={
                "person": str(session.person.public_id),
                "verdict": verdict.code,
                "detail": verdict.detail,
                "done_actions": verdict.done_actions,
                "score": verdict.distance,
                "frames": session.frames_seen,
                "face_seen": face_seen,
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
                    "score": verdict.distance,
                    "actions": list(session.challenge.get("actions", [])),
                    "frames": session.frames_seen,
                },
                operator_name="人脸自助",
                ip=ip,
            )
            session.certification = certification
            session.save(update_fields=["certification"])
            outcome.certification = certification
        elif face_seen:
            outcome.review = _review_if_blocked(
                session.person, session.region_id, session, acting_user, ip
            )
    return outcome


def _review_if_blocked(
    person: Person,
    region_id: int,
    session: FaceSession | None,
    acting_user: Any,
    ip: str | None,
) -> ReviewRequest | None:
    """At the day's last allowed failure, record one manual-review request."""
    if not camera_blocked(person):
        return None
    existing = open_review_today(person)
    if existing is not None:
        return existing
    if session is None:
        # Blocked at the start: the day's last failed session holds the frames.
        session = (
            sessions_today(person, timezone.now())
            .filter(status=FaceSession.Status.FAILED, face_seen=True)
            .order_by("-created_at")
            .first()
        )
    review = ReviewRequest.objects.create(
        person=person, region_id=region_id, reason=REVIEW_REASON, face_session=session
    )
    audit.record(
        AuditAction.REVIEW_REQUEST_CREATE,
        acting_user=acting_user,
        target=review,
        ip=ip,
        after={
            "person": str(person.public_id),
            "failures_today": failures_today(person),
            "last_session": None if session is None else str(session.public_id),
        },
    )
    return review


# ---------------------------------------------------------------- biometrics


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
            AuditAction.FAMILY_LINK,
            acting_user=account,
            target=link,
            ip=ip,
            after={
                "person": str(person.public_id),
                "face_session": str(session.public_id),
            },
        )
    return created
