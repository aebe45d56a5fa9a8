"""What crosses the seam to the web layer: the verdict, the progress, their words.

This is the one table of verdict sentences: the web layer shows these and keeps
no copy of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VERDICT_CODES = (
    "passed",
    "liveness_failed",
    "actions_failed",
    "mismatch",
    "poor_capture",
    "no_face",
    "multiple_faces",
    "face_changed",
    "expired",
)

# Verdict wording: passed, liveness_failed and mismatch are word for word from
# the operating guide. ``liveness_failed`` says the face matched: it is given
# only when a face was compared and matched.
# Verdicts that are no judgement of the person (nothing to count as a failed try).
NOT_COUNTED = frozenset({"poor_capture"})

VERDICT_MESSAGES: dict[str, str] = {
    "passed": "恭喜您，认证成功",
    "liveness_failed": "认证失败，您的相貌能对上，但您没有跟着引导做动作",
    "mismatch": "认证失败，您的认证照片与建模照片不匹配，请您通过其他方式进行认证",
    # A liveness failure before any face was compared: nothing is said of the face.
    "actions_failed": (
        "认证失败，您没有跟着引导做完动作，请正对摄像头，听到提示后再做动作，然后重新认证"
    ),
    # The face was too dark, blurred or small to be judged: what to change.
    # Whether a try counts is the web layer's to say (NOT_COUNTED), once.
    "poor_capture": (
        "光线太暗/画面模糊/离得太远，未能看清您的相貌，"
        "请到光线充足处正对摄像头后重新认证"
    ),
    "no_face": "认证失败，未检测到人脸，请正对摄像头、保持一臂左右的距离后重新认证",
    "multiple_faces": "认证失败，画面中有多张人脸，请确保镜头前只有参保人本人",
    "face_changed": "认证失败，认证过程中出现了另一张人脸，请由参保人本人完成全部动作",
    "expired": "认证超时，请重新进入资格认证并跟着语音提示做动作",
}
FALLBACK_MESSAGE = "认证失败，请重新认证或通过其他方式进行认证"

COACHING: dict[str, str] = {
    "no_face": "未检测到人脸，请正对摄像头",
    "multiple_faces": "检测到多张人脸，请确保只有本人在镜头前",
    "dark": "光线太暗，请到明亮的地方",
    "small": "请靠近一些",
    "frontal": "请正对摄像头",
    "still": "请保持不动，听到提示后再做动作",
}

# What the prompt line says while no action is asked for.
PROMPT_SETTLE = "请正对摄像头，保持不动"
PROMPT_HOLD = "请保持不动，听到提示后再做动作"


def verdict_message(code: str) -> str:
    """The sentence shown for a verdict code (a general one for unknown codes)."""
    return VERDICT_MESSAGES.get(code, FALLBACK_MESSAGE)


@dataclass
class Verdict:
    """The outcome of a session; ``distance`` is the descriptor distance, if any."""

    code: str
    distance: float | None = None
    detail: str | None = None
    done_actions: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """The sentence to show the user."""
        return verdict_message(self.code)

    @property
    def passed(self) -> bool:
        """True only for ``passed``."""
        return self.code == "passed"

    @property
    def score(self) -> float | None:
        """Alias of ``distance`` (lower is more similar)."""
        return self.distance

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict."""
        return {
            "code": self.code,
            "message": self.message,
            "distance": None if self.distance is None else round(self.distance, 4),
            "detail": self.detail,
            "done_actions": list(self.done_actions),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        """Inverse of :meth:`to_dict`."""
        return cls(
            str(d["code"]),
            d.get("distance"),
            d.get("detail"),
            list(d.get("done_actions", [])),
        )


@dataclass
class Progress:
    """What the browser should show after a batch of frames.

    ``phase`` is ``settle`` (no still, frontal face yet), ``hold`` (still; the
    server has not asked for the next action), ``act`` (``current_action`` is
    asked for now) or ``done``. ``current_action`` is None except in ``act``:
    the challenge is revealed one action at a time, when the server decides.
    """

    phase: str
    action_index: int
    steps: int
    current_action: str | None
    prompt: str
    done_actions: list[str]
    coaching: str | None
    face_ok: bool
    finished: bool
    verdict: Verdict | None = None
    face_seen: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (the shape the web layer sends to the browser)."""
        return {
            "phase": self.phase,
            "action_index": self.action_index,
            "steps": self.steps,
            "current_action": self.current_action,
            "prompt": self.prompt,
            "done_actions": list(self.done_actions),
            "coaching": self.coaching,
            "face_ok": self.face_ok,
            "finished": self.finished,
            "verdict": None if self.verdict is None else self.verdict.to_dict(),
        }
