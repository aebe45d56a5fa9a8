"""Helpers to turn clips and stills into timestamped JPEG frames (tests, CLI, bench)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np


def read_clip(
    path: str | Path, max_frames: int | None = None
) -> tuple[list[np.ndarray], float]:
    """Decode a video or GIF into BGR frames; return (frames, fps)."""
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise ValueError(f"cannot open clip: {path}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    frames: list[np.ndarray] = []
    while max_frames is None or len(frames) < max_frames:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames, float(fps)


def encode_jpeg(frame: np.ndarray, quality: int = 85) -> bytes:
    """JPEG bytes of a BGR frame, as a browser would send them."""
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


def timed_frames(
    frames: list[np.ndarray], fps: float, t0: float = 0.0, step: int = 1
) -> Iterator[tuple[float, bytes]]:
    """Yield (timestamp, JPEG bytes) for every ``step``-th frame."""
    for i in range(0, len(frames), step):
        yield t0 + i / fps, encode_jpeg(frames[i])


def still_motion(
    image: np.ndarray,
    kind: str,
    seconds: float = 5.0,
    fps: float = 10.0,
    size: tuple[int, int] = (640, 480),
) -> list[np.ndarray]:
    """Make a video of one still picture: ``static``, ``pan``, ``zoom``, ``rotate``
    (in-plane) or ``tilt`` (the picture turned about its vertical axis, as a held
    photo or tablet would be). The picture is fitted into ``size``."""
    w, h = size
    ih, iw = image.shape[:2]
    base = min(w / iw, h / ih) * 0.8
    n = max(2, round(seconds * fps))
    out = []
    for i in range(n):
        p = i / (n - 1)
        wave = float(np.sin(2 * np.pi * p))
        scale, angle, dx, dy = base, 0.0, 0.0, 0.0
        if kind == "pan":
            dx, dy = 0.15 * w * wave, 0.05 * h * np.sin(4 * np.pi * p)
        elif kind == "zoom":
            scale = base * (1.0 + 0.35 * wave)
        elif kind == "rotate":
            angle = 25.0 * wave
        elif kind not in ("static", "tilt"):
            raise ValueError(kind)
        m = cv2.getRotationMatrix2D((iw / 2, ih / 2), angle, scale)
        m[0, 2] += w / 2 - iw / 2 + dx
        m[1, 2] += h / 2 - ih / 2 + dy
        frame = cv2.warpAffine(image, m, (w, h), borderValue=(90, 90, 90))
        if kind == "tilt":
            # Perspective of a plane turned by up to ~35 degrees about its vertical.
            k = 0.18 * wave
            src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
            dst = np.array(
                [
                    [0, h * max(k, 0)],
                    [w, h * max(-k, 0)],
                    [w, h * (1 - max(-k, 0))],
                    [0, h * (1 - max(k, 0))],
                ],
                dtype=np.float32,
            )
            dst[:, 0] = w / 2 + (dst[:, 0] - w / 2) * (1 - abs(k))
            frame = cv2.warpPerspective(
                frame,
                cv2.getPerspectiveTransform(src, dst),
                (w, h),
                borderValue=(90, 90, 90),
            )
        out.append(frame)
    return out
