"""A stand-in face backend for view plumbing tests, and small helpers.

The stand-in reads the frame's bytes after the JPEG magic: ``PASS``,
``MISMATCH``, ``LIVENESS`` or ``POOR`` end the session with that verdict, ``BAD``
is a frame the engine refuses, ``NOFACE`` a frame without a face, anything else
is one more frame with the face in view. Every verdict path is also run with the
real engine (``lifecert/certification/tests`` and the browser tests).
"""

from collections.abc import Sequence
from typing import Any

from lifecert.certification import face
from lifecert.certification.models import FaceTemplate
from lifecert.core import vault
from lifecert.registry.models import Person

JPEG = b"\xff\xd8\xff\xe0"
CODES = {
    "PASS": "passed",
    "MISMATCH": "mismatch",
    "LIVENESS": "liveness_failed",
    "POOR": "poor_capture",
}


def frame(tag: str = "") -> bytes:
    return JPEG + tag.encode()


class StandInBackend:
    def __init__(self) -> None:
        self.fed: list[float] = []
        self.now: list[float] = []

    def new_challenge(self, fixed: list[str] | None) -> dict[str, Any]:
        return {
            "actions": fixed or ["blink", "turn_left"],
            "per_action_seconds": 8.0,
            "session_seconds": 120.0,
            "holds": [1.0, 1.0],
            "reaction_seconds": 6.0,
        }

    def enrol(self, image: bytes) -> list[float]:
        return [0.0] * 128

    def _progress(
        self, challenge: dict[str, Any], code: str | None, face_seen: bool
    ) -> face.Progress:
        verdict = None
        if code is not None:
            verdict = face.Verdict(code, 0.4 if code == "passed" else 0.9)
        return face.Progress(
            phase="done" if verdict else "act",
            action_index=0,
            steps=len(challenge["actions"]),
            current_action=None if verdict else challenge["actions"][0],
            prompt="请眨眨眼",
            done_actions=[],
            coaching=None,
            face_ok=True,
            finished=verdict is not None,
            verdict=verdict,
            face_seen=face_seen,
        )

    def run(
        self,
        challenge: dict[str, Any],
        references: Sequence[Sequence[float]],
        state: dict[str, Any] | None,
        frames: Sequence[tuple[float, bytes]],
        now: float,
    ) -> face.Step:
        self.now.append(now)
        count = (state or {}).get("count", 0)
        seen = (state or {}).get("face_seen", False)
        rejected: face.FrameRejected | None = None
        accepted, code = 0, None
        for t, frame_bytes in frames:
            tag = frame_bytes[len(JPEG) :].decode(errors="replace")
            if tag == "BAD":
                rejected = face.FrameRejected("bad_image", "无法读取这张图片。")
                continue
            self.fed.append(t)
            rejected, accepted, count = None, accepted + 1, count + 1
            seen = seen or tag != "NOFACE"
            if tag in CODES:
                code = CODES[tag]
                break
        progress = self._progress(challenge, code, seen)
        kept = [b"kept"] if code and code != "passed" and seen else []
        new_state: dict[str, Any] = {"count": count, "face_seen": seen}
        if code:
            new_state = {"scrubbed": True}
        return face.Step(progress, new_state, accepted, rejected, kept)

    def finish(
        self,
        challenge: dict[str, Any],
        references: Sequence[Sequence[float]],
        state: dict[str, Any] | None,
        now: float,
    ) -> face.Step:
        seen = (state or {}).get("face_seen", False)
        code = "liveness_failed" if seen else "no_face"
        return face.Step(self._progress(challenge, code, seen), {"scrubbed": True})


def enrol_ready(person: Person) -> FaceTemplate:
    return FaceTemplate.objects.create(
        person=person,
        photo=vault.seal(b"photo").encode("ascii"),
        descriptor=vault.seal_json([0.0] * 128),
        status=FaceTemplate.Status.READY,
    )
