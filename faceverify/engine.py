"""The engine: loaded models and configuration; enrolment and frame analysis."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from . import geometry as geo
from . import tracking
from .analysis import Box, Enrolment, FrameAnalysis, descriptor_distance
from .config import EngineConfig
from .errors import EnrolError, FaceError, FrameError
from .imaging import decode, to_grey, to_rgb
from .models import Models, load_models


class Engine:
    """Loaded models plus configuration; cheap to share.

    Safe to use from several threads at once: the engine keeps no per-call state
    (sessions live in the verifiers' states) and each dlib model is called under its
    own lock (:class:`faceverify.models.Locked`); OpenCV calls are thread-safe.
    """

    def __init__(self, config: EngineConfig, models: Models) -> None:
        self.config = config
        self.models = models

    # -- low level ---------------------------------------------------------------

    def _detect(self, grey: np.ndarray, scale: float, upsample: int = 0) -> list[Box]:
        """Detect faces on ``grey`` resized by ``scale``; boxes in ``grey`` pixels."""
        img = grey
        if scale != 1.0:
            size = (
                max(1, round(grey.shape[1] * scale)),
                max(1, round(grey.shape[0] * scale)),
            )
            img = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        rects = self.models.detector(img, upsample)
        boxes = [
            (  # dlib rectangles are ints already; dividing makes floats
                int(r.left() / scale),
                int(r.top() / scale),
                int(r.right() / scale),
                int(r.bottom() / scale),
            )
            for r in rects
        ]
        boxes.sort(key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True)
        return boxes

    def detect_frame(self, grey: np.ndarray, *, retry: bool = True) -> list[Box]:
        """Full-frame detection on a downscaled grey copy, falling back to full size.

        ``retry=False`` skips the slower second look (periodic checks while a face
        is tracked).
        """
        w = grey.shape[1]
        target = self.config.detect_width
        if w > target * 1.25:
            boxes = self._detect(grey, target / w)
            if boxes or not retry:
                return boxes
            # Faces under ~80 px on the small copy are missed: retry at twice the
            # size (only while no face is being tracked, so rarely).
            return self._detect(grey, min(1.0, 2 * target / w))
        boxes = self._detect(grey, 1.0)
        if not boxes and w <= target and retry:
            boxes = self._detect(grey, 1.0, upsample=1)
        return boxes

    def measure(self, grey: np.ndarray, box: Box, faces_count: int) -> FrameAnalysis:
        """Landmarks and every per-frame figure for the face in ``box``."""
        pts = self.models.landmarks(grey, box)
        h, w = grey.shape[:2]
        yaw, pitch, roll = geo.head_pose(pts, w, h)
        bright, sharp = geo.brightness_sharpness(grey, pts)
        return FrameAnalysis(
            width=w,
            height=h,
            faces_count=faces_count,
            box=box,
            landmarks=pts,
            yaw=yaw,
            pitch=pitch,
            roll=roll,
            ear=geo.eye_aspect_ratio(pts),
            mar=geo.mouth_aspect_ratio(pts),
            brightness=bright,
            sharpness=sharp,
            inter_ocular=geo.inter_ocular(pts),
        )

    def descriptor(self, image: np.ndarray, box: Box) -> list[float]:
        """128-d descriptor of the face in ``box`` (5-point alignment, no jitter)."""
        import dlib

        rgb = np.ascontiguousarray(to_rgb(image))
        rect = dlib.rectangle(*box)
        shape = self.models.shape5(rgb, rect)
        vec = self.models.encoder.compute_face_descriptor(rgb, shape)
        return [float(x) for x in vec]

    def face_chip(self, image: np.ndarray, box: Box) -> np.ndarray:
        """The 150x150 RGB chip (5-point alignment) the descriptor network reads.

        ``chip_descriptor(face_chip(img, box))`` equals ``descriptor(img, box)``; the
        chip costs ~1 ms, so it can be kept and its descriptor computed later.
        """
        import dlib

        rgb = np.ascontiguousarray(to_rgb(image))
        shape = self.models.shape5(rgb, dlib.rectangle(*box))
        return np.asarray(dlib.get_face_chip(rgb, shape, size=150, padding=0.25))

    def chip_descriptor(self, chip: np.ndarray) -> list[float]:
        """128-d descriptor of a chip from :meth:`face_chip` (RGB, 150x150)."""
        rgb = np.ascontiguousarray(chip, dtype=np.uint8)
        vec = self.models.encoder.compute_face_descriptor(rgb)
        return [float(x) for x in vec]

    def significant_faces(self, boxes: list[Box]) -> list[Box]:
        """Faces at least half as wide as the largest (far-away bystanders ignored)."""
        if not boxes:
            return []
        big = boxes[0][2] - boxes[0][0]
        return [b for b in boxes if (b[2] - b[0]) >= 0.5 * big]

    # -- public -----------------------------------------------------------------

    def decode_frame(
        self, image: bytes | np.ndarray, *, grey: bool = True
    ) -> np.ndarray:
        """Decode one camera frame (bytes or an array) with the frame size limits."""
        if isinstance(image, np.ndarray):
            if image.ndim not in (2, 3) or image.size == 0:
                raise FrameError("bad_image", detail="bad_array")
            if image.shape[0] * image.shape[1] > self.config.max_frame_pixels:
                raise FrameError("too_large", detail="too_large")
            img = np.ascontiguousarray(image.astype(np.uint8, copy=False))
            return to_grey(img) if grey else img
        return decode(
            image,
            max_bytes=self.config.max_frame_bytes,
            max_pixels=self.config.max_frame_pixels,
            grey=grey,
            error=FrameError,
        )

    def lift(self, grey: np.ndarray) -> tuple[np.ndarray, float]:
        """The grey frame brightened for analysis when it is dark, and its mean level.

        In a dim room a webcam's picture of an old face is dark and noisy: the
        detector and the landmarks are trained on well-lit faces, and the face
        brightness check would stop the session. A linear gain keeps the eye and
        mouth ratios, the head pose and the planar check (correlation) unchanged;
        the blur takes the edge off the noise the gain amplifies. Descriptors are
        computed on the colour frame: brightening its face chip measured no
        closer to the reference (dlib's network normalises its input), the
        noise of a very dark picture is what moves it.
        """
        cfg = self.config
        mean = float(cv2.mean(grey)[0])
        if mean >= cfg.low_light_mean:
            return grey, mean
        gain = min(cfg.low_light_max_gain, cfg.low_light_target / max(mean, 1.0))
        if gain > 2.0:
            grey = cv2.GaussianBlur(grey, (5, 5), 0)
        return cv2.convertScaleAbs(grey, alpha=gain), mean

    def analyse_frame(self, image: bytes | np.ndarray) -> FrameAnalysis:
        """Analyse one frame from scratch (full detection, no tracking).

        Raises :class:`FrameError` for unreadable or oversized input.
        """
        grey, _mean = self.lift(self.decode_frame(image))
        boxes = self.significant_faces(self.detect_frame(grey))
        if not boxes:
            return FrameAnalysis(
                width=grey.shape[1], height=grey.shape[0], faces_count=0
            )
        fa = self.measure(grey, boxes[0], len(boxes))
        fa.detected = True
        return fa

    def enrol(self, image_bytes: bytes) -> Enrolment:
        """Turn a reference photo into a descriptor, or raise :class:`EnrolError`.

        Codes: bad_image, no_face, multiple_faces, face_too_small, too_dark,
        too_blurred, not_frontal.
        """
        cfg = self.config
        img = decode(
            image_bytes,
            max_bytes=cfg.max_image_bytes,
            max_pixels=cfg.max_pixels,
            grey=False,
            error=EnrolError,
        )
        grey = to_grey(img)
        side = max(grey.shape[:2])
        scale = min(1.0, cfg.enrol_detect_side / side)
        boxes = self._detect(grey, scale)
        if not boxes:
            # Small faces in big photos: look again at twice the resolution.
            boxes = self._detect(grey, scale, upsample=1)
        if not boxes:
            raise EnrolError("no_face")
        faces = self.significant_faces(boxes)
        if len(faces) > 1:
            raise EnrolError("multiple_faces")
        box = faces[0]
        fa = self.measure(grey, box, 1)
        face_px = box[2] - box[0]
        quality = {
            "face_px": int(face_px),
            "brightness": round(fa.brightness, 1),
            "sharpness": round(fa.sharpness, 1),
            "yaw": round(fa.yaw, 1),
            "roll": round(fa.roll, 1),
            "image_size": [int(grey.shape[1]), int(grey.shape[0])],
        }
        if face_px < cfg.min_enrol_face_px:
            raise EnrolError("face_too_small")
        if fa.brightness < cfg.min_brightness:
            raise EnrolError("too_dark")
        if fa.sharpness < cfg.min_sharpness:
            raise EnrolError("too_blurred")
        if abs(fa.yaw) > cfg.max_enrol_yaw or abs(fa.roll) > 30.0:
            raise EnrolError("not_frontal")
        return Enrolment(descriptor=self.descriptor(img, box), quality=quality)

    # -- tracking ----------------------------------------------------------------

    def track(
        self,
        grey: np.ndarray,
        t: float,
        st: dict[str, Any],
        *,
        every_frame: bool = False,
    ) -> tuple[FrameAnalysis, dict[str, Any]]:
        """One tracking step (:mod:`faceverify.tracking`); returns a new state."""
        return tracking.track(self, grey, t, st, every_frame=every_frame)


_engines: dict[EngineConfig, Engine] = {}
_engines_lock = threading.Lock()


def load_engine(config: EngineConfig | None = None) -> Engine:
    """Return the process-wide engine for ``config`` (models load once, lazily).

    Thread-safe: threads asking at the same time get the same engine.
    """
    config = config or EngineConfig()
    with _engines_lock:
        engine = _engines.get(config)
        if engine is None:
            models = load_models(
                Path(config.models_dir) if config.models_dir else None,
                config.landmark_backend,
            )
            engine = _engines[config] = Engine(config, models)
        return engine


__all__ = [
    "Engine",
    "EngineConfig",
    "EnrolError",
    "Enrolment",
    "FaceError",
    "FrameAnalysis",
    "FrameError",
    "descriptor_distance",
    "load_engine",
]
