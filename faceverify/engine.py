"""The engine: configuration, enrolment, frame analysis and the face tracker."""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from . import geometry as geo
from .errors import EnrolError, FaceError, FrameError
from .imaging import decode, to_grey, to_rgb
from .models import Models, load_models

Box = tuple[int, int, int, int]  # left, top, right, bottom in full-frame pixels


@dataclass(frozen=True)
class EngineConfig:
    """Every threshold of the engine. The web layer passes values read from settings.

    Angles are in degrees of this engine's head-pose estimate; action thresholds are
    relative to the per-session baseline (a still, near-frontal ``baseline_seconds``).
    """

    models_dir: str | None = None
    landmark_backend: str = "dlib-68"
    # Matching: Euclidean distance between 128-d descriptors.
    match_threshold: float = 0.55
    # Two descriptors of one session further apart than this mean another face.
    change_threshold: float = 0.6
    per_action_seconds: float = 8.0
    session_seconds: float = 120.0
    # Baseline: taken from the first window of this many seconds (>= 3 face frames)
    # in which the face is still and near-frontal: head pose and nose offset
    # within the spreads below, eye ratio not dipping (no blink, not settling),
    # mouth not held open,
    # |yaw| and |nose offset| within the frontal limits. Until then the user is
    # coached (请正对摄像头) and the first action's time does not run; a face that
    # never settles ends in liveness_failed (no_baseline) after
    # ``baseline_max_seconds``.
    baseline_seconds: float = 0.24
    baseline_yaw_spread: float = 4.0
    baseline_pitch_spread: float = 5.0
    baseline_offset_spread: float = 0.06
    baseline_min_ear_ratio: float = 0.75
    baseline_max_mouth: float = 0.2  # mouth ratio (lower quantile): not mid-action
    baseline_frontal_yaw: float = 12.0
    baseline_frontal_offset: float = 0.18
    baseline_max_seconds: float = 30.0
    # The open-eye and closed-mouth references: over the face frames of the last
    # this many seconds up to the window (upper EAR quantile, lowest mouth ratio).
    baseline_ref_seconds: float = 1.0
    # Input limits (bytes and decoded pixels).
    max_image_bytes: int = 20_000_000
    max_pixels: int = 40_000_000
    max_frame_bytes: int = 3_000_000
    max_frame_pixels: int = 4_200_000
    # Detection: frames are detected on a grey copy about this wide.
    detect_width: int = 320
    enrol_detect_side: int = 1280
    # Enrolment quality.
    min_enrol_face_px: int = 80
    min_brightness: float = 45.0
    min_sharpness: float = 12.0
    max_enrol_yaw: float = 22.0
    # Live session quality (coaching).
    min_face_frac: float = 0.18
    # Dim rooms and cheap webcams: a camera frame whose mean grey level is under
    # ``low_light_mean`` is brightened for the analysis (gain up to
    # ``low_light_max_gain`` towards ``low_light_target``, with a 5x5 blur when
    # the gain is high, so that the amplified sensor noise does not shake the
    # landmarks). Below ``too_dark_mean`` a frame without a face is coached to
    # find light; below ``dim_hint_mean`` the same advice is shown while the
    # session goes on (the descriptor of so dark a picture drifts).
    low_light_mean: float = 70.0
    low_light_target: float = 110.0
    low_light_max_gain: float = 6.0
    too_dark_mean: float = 15.0
    dim_hint_mean: float = 25.0
    # Actions.
    blink_close_ratio: float = 0.68
    blink_open_ratio: float = 0.85
    blink_max_closed_seconds: float = 2.0
    mouth_open_delta: float = 0.22
    # A turn needs both head-pose cues, relative to the baseline, in the asked
    # direction: the nose offset (geometry.yaw_offset, in eye distances) past
    # ``turn_offset`` and the solvePnP yaw past ``turn_pnp_fraction`` x
    # ``turn_degrees``; back to neutral means both within ``return_fraction``.
    turn_degrees: float = 12.0
    turn_offset: float = 0.14
    turn_pnp_fraction: float = 0.5
    nod_degrees: float = 18.0
    return_fraction: float = 0.5
    # Tracking. The box follows the landmarks; HOG on a small crop around it runs
    # only when the landmarks drift or the face's look jumps (and, if
    # ``recheck_every`` > 0, also every that many frames).
    recheck_every: int = 0
    full_detect_seconds: float = 1.0
    lost_after_misses: int = 3
    multi_face_checks: int = 3
    # Identity within a session: descriptors are taken of the first good frame
    # (kept as a small face chip, computed when first needed), at the end, when a
    # continuity signal fires and at least every ``descriptor_every_seconds``.
    descriptor_every_seconds: float = 10.0
    max_descriptors: int = 6
    # Continuity between consecutive face frames (cheap, every frame): correlation
    # of the 32x32 aligned face, and the jump of the face centre (in inter-ocular
    # distances per frame) and of its scale.
    continuity_ncc: float = 0.6
    continuity_jump: float = 1.0
    continuity_scale: float = 1.35
    # No longer used (the landmark-rigidity series was dropped); kept so that
    # configurations naming it still load.
    min_nonrigidity: float = 0.0
    # A turn, nod or open mouth counts only if the frame at its peak cannot be
    # explained as the first-second picture moved as a plane (ECC correlation).
    planar_rho: float = 0.95
    # That check's ECC iterations run on this many per frame (~0.2 ms each).
    planar_iterations_per_frame: int = 8

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the configuration."""
        return asdict(self)


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

    def _detect_roi(self, grey: np.ndarray, box: Box) -> Box | None:
        """Re-detect near the tracked box, on a crop scaled so the face is ~100 px."""
        left, top, right, bottom = box
        bw, bh = right - left, bottom - top
        h, w = grey.shape[:2]
        x0, y0 = max(0, int(left - 0.6 * bw)), max(0, int(top - 0.6 * bh))
        x1, y1 = min(w, int(right + 0.6 * bw)), min(h, int(bottom + 0.6 * bh))
        if x1 - x0 < 20 or y1 - y0 < 20:
            return None
        crop = grey[y0:y1, x0:x1]
        scale = min(1.5, 100.0 / max(bw, 1))
        found = self._detect(crop, scale)
        best, best_iou = None, 0.2
        for fb in found:
            cand = (fb[0] + x0, fb[1] + y0, fb[2] + x0, fb[3] + y0)
            iou = _iou(cand, box)
            if iou > best_iou:
                best, best_iou = cand, iou
        return best

    @staticmethod
    def _confirm(box: Box | None, found: Box, st: dict[str, Any]) -> Box:
        """Adopt a fresh detection only when the tracked box has drifted from it.

        The landmark fit depends on the exact box. Swapping in every new detection
        (whose box jitters by a few pixels between scales) would make the landmarks
        of a perfectly still picture jitter too, and jitter can look like a blink.
        """
        st["misses"] = 0
        st["since"] = 0
        if box is not None and _iou(box, found) >= 0.4:
            return box
        st["rel"] = None
        return found

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
        self, grey: np.ndarray, t: float, st: dict[str, Any]
    ) -> tuple[FrameAnalysis, dict[str, Any]]:
        """One tracking step. ``st`` is the tracker's JSON state; a new one is returned.

        Full detection (small grey copy, ~6 ms) acquires the face. While a face is
        tracked, the box follows the landmarks; HOG on a small crop confirms it when
        the landmarks drift or ``st["force"]`` is set (the verifier sets it when the
        face's look jumps). About once a second a full detection counts the faces:
        that frame is *detect-only* (``box`` set, ``landmarks`` None, ``detected``),
        so that no frame pays for both the detector and the landmarks.
        """
        cfg = self.config
        st = dict(st)
        h, w = grey.shape[:2]
        box: Box | None = tuple(st["box"]) if st.get("box") else None
        if box is not None and st.get("size") != [w, h]:
            box = None  # another frame size: nothing of the old box carries over
            st["rel"] = None
        st["size"] = [w, h]
        faces_count = st.get("faces", 1)
        detected = False
        if box is None:
            boxes = self.significant_faces(self.detect_frame(grey))
            st["last_full"] = t
            detected = True
            faces_count = len(boxes)
            box = self._confirm(None, boxes[0], st) if boxes else None
        elif t - st.get("last_full", -1e9) >= cfg.full_detect_seconds:
            # Periodic count of the faces, on a detect-only frame. The slower second
            # look only for a face too small for the grey copy anyway.
            small = (box[2] - box[0]) * cfg.detect_width / w < 80
            boxes = self.significant_faces(self.detect_frame(grey, retry=small))
            st["last_full"] = t
            st["force"] = False
            if boxes:
                faces_count = len(boxes)
                # Keep following the same face when several are present.
                tracked = box  # not None here; bound for the key function
                boxes.sort(key=lambda b: -_iou(b, tracked))
                st["box"] = list(self._confirm(box, boxes[0], st))
            else:
                # A turned head escapes the frontal detector: keep tracking, but a
                # face missing from several checks in a row is lost.
                st["misses"] = st.get("misses", 0) + 1
                if st["misses"] >= cfg.lost_after_misses:
                    st["box"] = None
                    st["rel"] = None
            st["faces"] = faces_count
            return FrameAnalysis(
                width=w,
                height=h,
                faces_count=faces_count,
                box=tuple(st["box"]) if st["box"] else None,
                detected=bool(boxes),
            ), st
        elif st.get("force") or (
            cfg.recheck_every > 0 and st.get("since", 0) + 1 >= cfg.recheck_every
        ):
            found = self._detect_roi(grey, box)
            st["since"] = 0
            detected = True
            if found is not None:
                box = self._confirm(box, found, st)
            else:
                st["misses"] = st.get("misses", 0) + 1
                if st["misses"] >= cfg.lost_after_misses:
                    box = None
        else:
            st["since"] = st.get("since", 0) + 1
        st["force"] = False
        st["faces"] = faces_count
        if box is None:
            st["box"] = None
            st["rel"] = None
            return FrameAnalysis(
                width=w,
                height=h,
                faces_count=0,
                detected=detected,
            ), st
        fa = self.measure(grey, box, max(faces_count, 1))
        fa.detected = detected
        # Remember where the box sits relative to the stable landmarks, so that the
        # next frame's box can be predicted from this frame's landmarks.
        m, s = _stable_stats(fa.landmarks)  # type: ignore[arg-type]
        if s <= 0:
            st["box"] = None
            return fa, st
        if st.get("rel") is None:
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            st["rel"] = [
                float((cx - m[0]) / s),
                float((cy - m[1]) / s),
                float((box[2] - box[0]) / s),
                float((box[3] - box[1]) / s),
            ]
        rx, ry, rw, rh = st["rel"]
        cx, cy = float(m[0]) + rx * s, float(m[1]) + ry * s
        nb = (
            round(cx - rw * s / 2),
            round(cy - rh * s / 2),
            round(cx + rw * s / 2),
            round(cy + rh * s / 2),
        )
        bw = box[2] - box[0]
        moved = math.hypot(
            (nb[0] + nb[2]) / 2 - (box[0] + box[2]) / 2,
            (nb[1] + nb[3]) / 2 - (box[1] + box[3]) / 2,
        )
        # Landmarks that drift far from the box they were fitted in are unreliable:
        # confirm with the detector on the next frame.
        if moved > 0.25 * bw or not 0.75 < (nb[2] - nb[0]) / max(bw, 1) < 1.33:
            st["force"] = True
        st["box"] = list(nb)
        return fa, st


def _stable_stats(pts: np.ndarray) -> tuple[np.ndarray, float]:
    s = pts[geo.STABLE_IDX]
    m = s.mean(0)
    return m.astype(np.float64), float(np.sqrt(((s - m) ** 2).sum(1).mean()))


def _iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


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
