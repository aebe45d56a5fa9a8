"""The one seam between the web layer and the face engine (``faceverify``).

Views and services never import ``faceverify`` themselves: they call the
functions here, which read the thresholds from settings, build the engine once
per process and turn engine objects into plain JSON-friendly dicts that can be
saved on a ``FaceSession`` and restored in any worker.

Tests of view plumbing may swap the backend with :func:`use_backend`; every
verdict path is also covered with the real engine (browser tests).
"""

import contextlib
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

# What the user is told for each verdict code. The first three are the guide's
# own words (DESIGN.md); the others are ours, in the same tone.
VERDICT_MESSAGES: dict[str, str] = {
    "passed": "恭喜您，认证成功",
    "liveness_failed": "认证失败，您的相貌能对上，但您没有跟着引导做动作",
    "mismatch": "认证失败，您的认证照片与建模照片不匹配，请您通过其他方式进行认证",
    "no_face": "认证失败，未检测到人脸，请正对摄像头、保持一臂左右的距离后重新认证",
    "multiple_faces": "认证失败，画面中有多张人脸，请确保镜头前只有参保人本人",
    "face_changed": "认证失败，认证过程中出现了另一张人脸，请由参保人本人完成全部动作",
    "expired": "认证超时，请重新进入资格认证并跟着语音提示做动作",
}

ACTION_LABELS_FALLBACK: dict[str, str] = {
    "blink": "请眨眨眼",
    "open_mouth": "请张张嘴",
    "turn_left": "请向左转头",
    "turn_right": "请向右转头",
    "nod": "请点点头",
}


def verdict_message(code: str) -> str:
    return VERDICT_MESSAGES.get(code, "认证失败，请重新认证或通过其他方式进行认证")


class FrameRejected(Exception):
    """One frame could not be used (bad bytes, too large); the state is unchanged."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class EnrolRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class Step:
    """The engine's answer to one frame (or to ``finish``) and the state to save."""

    progress: dict[str, Any]
    state: dict[str, Any]

    @property
    def verdict(self) -> dict[str, Any] | None:
        return self.progress.get("verdict")


class Backend(Protocol):
    def action_labels(self) -> dict[str, str]: ...

    def new_challenge(self, fixed: list[str] | None) -> dict[str, Any]: ...

    def enrol(self, image: bytes) -> list[float]: ...

    def feed(
        self,
        challenge: dict[str, Any],
        references: list[list[float]],
        state: dict[str, Any] | None,
        timestamp: float,
        frame: bytes,
    ) -> Step: ...

    def finish(
        self,
        challenge: dict[str, Any],
        references: list[list[float]],
        state: dict[str, Any] | None,
        timestamp: float,
    ) -> Step: ...


def engine_config() -> Any:
    """The engine configuration built from ``FACE_*`` settings."""
    import faceverify

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


class EngineBackend:
    """The real engine (dlib + OpenCV), loaded once per process and config."""

    def _engine(self) -> Any:
        import faceverify

        return faceverify.load_engine(engine_config())

    def action_labels(self) -> dict[str, str]:
        import faceverify

        return dict(faceverify.ACTION_LABELS)

    def new_challenge(self, fixed: list[str] | None) -> dict[str, Any]:
        import faceverify

        per_action = float(settings.FACE_PER_ACTION_SECONDS)
        session = float(settings.FACE_SESSION_SECONDS)
        if fixed:
            challenge = faceverify.Challenge(
                tuple(fixed), per_action_seconds=per_action, session_seconds=session
            )
        else:
            challenge = faceverify.Challenge.random(
                rng=random.SystemRandom(),
                per_action_seconds=per_action,
                session_seconds=session,
            )
        return dict(challenge.to_dict())

    def enrol(self, image: bytes) -> list[float]:
        import faceverify

        try:
            with _ENGINE_LOCK:
                enrolment = self._engine().enrol(image)
        except faceverify.EnrolError as exc:
            raise EnrolRefused(exc.code, exc.message) from exc
        return [float(x) for x in enrolment.descriptor]

    def _verifier(
        self,
        challenge: dict[str, Any],
        references: list[list[float]],
        state: dict[str, Any] | None,
    ) -> Any:
        import faceverify

        return faceverify.Verifier(
            self._engine(),
            faceverify.Challenge.from_dict(challenge),
            references,
            state=state,
        )

    def feed(
        self,
        challenge: dict[str, Any],
        references: list[list[float]],
        state: dict[str, Any] | None,
        timestamp: float,
        frame: bytes,
    ) -> Step:
        import faceverify

        try:
            with _ENGINE_LOCK:
                verifier = self._verifier(challenge, references, state)
                progress = verifier.feed(timestamp, frame)
        except faceverify.FrameError as exc:
            raise FrameRejected(exc.code, exc.message) from exc
        return Step(jsonable(progress.to_dict()), jsonable(verifier.state))

    def finish(
        self,
        challenge: dict[str, Any],
        references: list[list[float]],
        state: dict[str, Any] | None,
        timestamp: float,
    ) -> Step:
        with _ENGINE_LOCK:
            verifier = self._verifier(challenge, references, state)
            verdict = verifier.finish(timestamp)
        as_dict = verdict.to_dict() if hasattr(verdict, "to_dict") else dict(verdict)
        progress = {"finished": True, "verdict": as_dict}
        return Step(jsonable(progress), jsonable(verifier.state))


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as plain numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def jsonable(value: Any) -> Any:
    """A copy of ``value`` that the database's JSON column accepts.

    The engine's state may hold numpy numbers; they are stored as plain floats.
    """
    return json.loads(json.dumps(value, default=_plain))


_backend: Backend = EngineBackend()


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


def action_labels() -> dict[str, str]:
    try:
        return backend().action_labels()
    except ImportError:  # pragma: no cover - engine not installed
        return dict(ACTION_LABELS_FALLBACK)


def new_challenge() -> dict[str, Any]:
    """A random challenge; tests may fix it with ``FACE_FIXED_CHALLENGE``."""
    fixed = [a.strip() for a in settings.FACE_FIXED_CHALLENGE if a.strip()]
    return backend().new_challenge(fixed or None)


def enrol(image: bytes) -> list[float]:
    return backend().enrol(image)


def feed(
    challenge: dict[str, Any],
    references: list[list[float]],
    state: dict[str, Any] | None,
    timestamp: float,
    frame: bytes,
) -> Step:
    return backend().feed(challenge, references, state, timestamp, frame)


def finish(
    challenge: dict[str, Any],
    references: list[list[float]],
    state: dict[str, Any] | None,
    timestamp: float,
) -> Step:
    return backend().finish(challenge, references, state, timestamp)
