"""The one seam between the web layer and the face engine (``faceverify``).

Nothing else in ``lifecert`` imports ``faceverify``: enrolment, the face-session
room (:mod:`lifecert.certification.face_sessions`) and the pages call the
functions here, which read the thresholds from settings, build the engine once
per process and hand back the engine's own typed values (``Progress``,
``Verdict``) with the session state as JSON to save on the ``FaceSession``.

A whole batch of frames crosses the seam in one call: the state is read once,
every frame is fed at its server time, then the prompt clock advances to the
time the answer leaves (``now``), and the state is written once.

Tests of view plumbing may swap the backend with :func:`use_backend`; every
verdict path is also covered with the real engine.
"""

import contextlib
import random
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

import faceverify

Progress = faceverify.Progress
Verdict = faceverify.Verdict
ACTIONS = faceverify.ACTIONS
ACTION_LABELS = faceverify.ACTION_LABELS
StateVersionError = faceverify.StateVersionError
# Verdicts that judge the capture, not the person: not a failed try.
NOT_COUNTED = faceverify.NOT_COUNTED


def verdict_message(code: str) -> str:
    """The sentence shown for a verdict code: the engine's one table."""
    return faceverify.verdict_message(code)


class FrameRejected(Exception):
    """One frame could not be used (bad bytes, too large); the state is unchanged."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class EnrolRefused(Exception):
    """The engine refused a reference photo; ``message`` says what to bring."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class Step:
    """The engine's answer to one batch (or to ``finish``) and the state to save.

    ``accepted``: frames the engine used; ``rejected``: the newest frame's
    refusal when it could not be used. A finished session's state holds no
    biometric value (the engine scrubs it at the verdict).
    """

    progress: Progress
    state: dict[str, Any]
    accepted: int = 0
    rejected: FrameRejected | None = None
    kept: list[bytes] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict | None:
        return self.progress.verdict


class Backend(Protocol):
    def new_challenge(self, fixed: list[str] | None) -> dict[str, Any]: ...

    def enrol(self, image: bytes) -> list[float]: ...

    def run(
        self,
        challenge: dict[str, Any],
        references: Sequence[Sequence[float]],
        state: dict[str, Any] | None,
        frames: Sequence[tuple[float, bytes]],
        now: float,
    ) -> Step: ...

    def finish(
        self,
        challenge: dict[str, Any],
        references: Sequence[Sequence[float]],
        state: dict[str, Any] | None,
        now: float,
    ) -> Step: ...


def engine_config() -> faceverify.EngineConfig:
    """The engine configuration built from ``FACE_*`` settings."""
    values: dict[str, Any] = {
        "per_action_seconds": float(settings.FACE_PER_ACTION_SECONDS),
        "session_seconds": float(settings.FACE_SESSION_SECONDS),
        "max_frame_bytes": int(settings.FACE_MAX_FRAME_BYTES),
    }
    if settings.FACE_MATCH_THRESHOLD:
        values["match_threshold"] = float(settings.FACE_MATCH_THRESHOLD)
    return faceverify.EngineConfig(**values)


# dlib's models are not safe to share between threads (with two request threads
# per worker we saw a segfault and wrong verdicts), so each process runs one
# engine call at a time; scale out with processes (gunicorn workers = cores).
_ENGINE_LOCK = threading.Lock()

# Frames of a failed session kept for the manual review (the newest ones).
KEEP_FOR_REVIEW = 3


class EngineBackend:
    """The real engine (dlib + OpenCV), loaded once per process and config."""

    def _engine(self) -> faceverify.Engine:
        return faceverify.load_engine(engine_config())

    def new_challenge(self, fixed: list[str] | None) -> dict[str, Any]:
        per_action = float(settings.FACE_PER_ACTION_SECONDS)
        session = float(settings.FACE_SESSION_SECONDS)
        timing: dict[str, Any] = {
            "hold_range": (
                float(settings.FACE_HOLD_MIN_SECONDS),
                float(settings.FACE_HOLD_MAX_SECONDS),
            ),
            "reaction_seconds": float(settings.FACE_REACTION_SECONDS),
        }
        rng = random.SystemRandom()
        if fixed:
            drawn = faceverify.Challenge.random(
                rng, len(fixed), per_action, session, pool=tuple(fixed), **timing
            )
            # The fixed order (a test hook, refused in production) with the
            # holds drawn for it.
            challenge = faceverify.Challenge(
                tuple(fixed),
                per_action,
                session,
                drawn.holds,
                drawn.reaction_seconds,
            )
        else:
            challenge = faceverify.Challenge.random(
                rng,
                None,
                per_action,
                session,
                pool=tuple(settings.FACE_ACTIONS),
                **timing,
            )
        return dict(challenge.to_dict())

    def enrol(self, image: bytes) -> list[float]:
        try:
            with _ENGINE_LOCK:
                enrolment = self._engine().enrol(image)
        except faceverify.EnrolError as exc:
            raise EnrolRefused(exc.code, exc.message) from exc
        return [float(x) for x in enrolment.descriptor]

    def _verifier(
        self,
        challenge: dict[str, Any],
        references: Sequence[Sequence[float]],
        state: dict[str, Any] | None,
    ) -> faceverify.Verifier:
        return faceverify.Verifier(
            self._engine(),
            faceverify.Challenge.from_dict(challenge),
            references,
            state=state,
        )

    def run(
        self,
        challenge: dict[str, Any],
        references: Sequence[Sequence[float]],
        state: dict[str, Any] | None,
        frames: Sequence[tuple[float, bytes]],
        now: float,
    ) -> Step:
        rejected: FrameRejected | None = None
        accepted: list[bytes] = []
        with _ENGINE_LOCK:
            verifier = self._verifier(challenge, references, state)
            for t, frame in frames:
                try:
                    progress = verifier.feed(t, frame, advance=False)
                except faceverify.FrameError as exc:
                    rejected = FrameRejected(exc.code, exc.message)
                    continue
                rejected = None
                accepted.append(frame)
                if progress.finished:
                    break
            progress = verifier.advance(now)
            kept: list[bytes] = []
            if progress.finished:
                verdict = progress.verdict
                if verdict is not None and not verdict.passed and progress.face_seen:
                    kept = accepted[-KEEP_FOR_REVIEW:]
                verifier.scrub()
            new_state = verifier.state
        return Step(progress, new_state, len(accepted), rejected, kept)

    def finish(
        self,
        challenge: dict[str, Any],
        references: Sequence[Sequence[float]],
        state: dict[str, Any] | None,
        now: float,
    ) -> Step:
        with _ENGINE_LOCK:
            verifier = self._verifier(challenge, references, state)
            verifier.finish(now)
            progress = verifier.progress()
            verifier.scrub()
            new_state = verifier.state
        return Step(progress, new_state)


_backend: Backend = EngineBackend()


def preload() -> None:
    """Load the engine's models now, not on the first frame.

    The WSGI entry point calls it: in gunicorn's master (``--preload``) the
    models (≈ 1.2 s of CPU, ≈ 100 MB) load once and every worker forked from
    it shares them, instead of each worker loading its own copy on its first
    frame (a pensioner's frame then waited that long).
    """
    faceverify.load_engine(engine_config())


def backend() -> Backend:
    return _backend


@contextlib.contextmanager
def use_backend(replacement: Backend) -> Iterator[Backend]:
    """Swap the backend for a test (view plumbing only)."""
    global _backend
    previous, _backend = _backend, replacement
    try:
        yield replacement
    finally:
        _backend = previous


def new_challenge() -> dict[str, Any]:
    """A random challenge with its secret holds; tests may fix the actions with
    ``FACE_FIXED_CHALLENGE`` (refused at start-up when DEBUG is off)."""
    fixed = [a.strip() for a in settings.FACE_FIXED_CHALLENGE if a.strip()]
    return backend().new_challenge(fixed or None)


def enrol(image: bytes) -> list[float]:
    """The descriptor of a reference photo, or :class:`EnrolRefused`."""
    return backend().enrol(image)


def run(
    challenge: dict[str, Any],
    references: Sequence[Sequence[float]],
    state: dict[str, Any] | None,
    frames: Sequence[tuple[float, bytes]],
    now: float,
) -> Step:
    """Feed a batch of (server time, JPEG) frames, then advance to ``now``."""
    return backend().run(challenge, references, state, frames, now)


def finish(
    challenge: dict[str, Any],
    references: Sequence[Sequence[float]],
    state: dict[str, Any] | None,
    now: float,
) -> Step:
    """The engine's verdict now (the browser's time is up)."""
    return backend().finish(challenge, references, state, now)
