"""A stand-in face backend for view plumbing tests, and small helpers.

The stand-in reads the frame's bytes after the JPEG magic: ``PASS``,
``MISMATCH`` or ``LIVENESS`` end the session with that verdict, ``BAD`` is a frame
the engine refuses, anything else is one more frame in progress. Every verdict
path is also run with the real engine (``test_face_engine_sessions.py`` and the
browser tests).
"""

from typing import Any

from lifecert.certification import face
from lifecert.certification.models import FaceTemplate
from lifecert.registry.models import Person

JPEG = b"\xff\xd8\xff\xe0"


def frame(tag: str = "") -> bytes:
    return JPEG + tag.encode()


class StandInBackend:
    def __init__(self) -> None:
        self.fed: list[float] = []

    def action_labels(self) -> dict[str, str]:
        return dict(face.ACTION_LABELS_FALLBACK)

    def new_challenge(self, fixed: list[str] | None) -> dict[str, Any]:
        return {
            "actions": fixed or ["blink", "turn_left"],
            "per_action_seconds": 8.0,
            "session_seconds": 120.0,
        }

    def enrol(self, image: bytes) -> list[float]:
        return [0.0] * 128

    def _verdict(self, code: str) -> dict[str, Any]:
        return {"code": code, "distance": 0.4 if code == "passed" else 0.9}

    def feed(self, challenge, references, state, timestamp, frame_bytes) -> face.Step:
        self.fed.append(timestamp)
        tag = frame_bytes[len(JPEG) :].decode(errors="replace")
        if tag == "BAD":
            raise face.FrameRejected("bad_image", "无法读取这张图片。")
        count = (state or {}).get("count", 0) + 1
        codes = {
            "PASS": "passed",
            "MISMATCH": "mismatch",
            "LIVENESS": "liveness_failed",
        }
        verdict = self._verdict(codes[tag]) if tag in codes else None
        progress = {
            "action_index": 0,
            "current_action": challenge["actions"][0],
            "prompt": "请眨眨眼",
            "done_actions": [],
            "coaching": "",
            "face_ok": True,
            "finished": verdict is not None,
            "verdict": verdict,
        }
        return face.Step(progress, {"count": count})

    def finish(self, challenge, references, state, timestamp) -> face.Step:
        return face.Step(
            {"finished": True, "verdict": self._verdict("liveness_failed")},
            dict(state or {}),
        )


def enrol_ready(person: Person) -> FaceTemplate:
    return FaceTemplate.objects.create(
        person=person,
        photo=b"photo",
        descriptor=[0.0] * 128,
        status=FaceTemplate.Status.READY,
    )
