"""Plain results of the engine: one frame's measurements, one enrolment."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

Box = tuple[int, int, int, int]  # left, top, right, bottom in full-frame pixels


@dataclass
class FrameAnalysis:
    """Everything measured on one frame, as plain data (landmarks: (68, 2) array)."""

    width: int
    height: int
    faces_count: int
    box: Box | None = None
    landmarks: np.ndarray | None = None
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    ear: float = 0.0
    mar: float = 0.0
    brightness: float = 0.0
    sharpness: float = 0.0
    inter_ocular: float = 0.0
    detected: bool = False  # this frame ran a detector (not only tracking)

    @property
    def has_face(self) -> bool:
        """True when a face was found or tracked on this frame."""
        return self.box is not None and self.landmarks is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict."""
        d = asdict(self)
        d["landmarks"] = None if self.landmarks is None else self.landmarks.tolist()
        d["box"] = None if self.box is None else list(self.box)
        return d


@dataclass
class Enrolment:
    """A reference descriptor (128 floats) and the quality figures of its photo."""

    descriptor: list[float]
    quality: dict[str, Any] = field(default_factory=dict)


def descriptor_distance(a: Any, b: Any) -> float:
    """Euclidean distance between two 128-d descriptors."""
    return float(
        np.linalg.norm(
            np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
        )
    )
