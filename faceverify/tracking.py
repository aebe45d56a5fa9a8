"""The face tracker: detection once, then the box follows the landmarks.

Full detection (small grey copy, 6-13 ms) acquires the face. While a face is
tracked, the box follows the landmarks; HOG on a small crop confirms it when
the landmarks drift or ``st["force"]`` is set. About once a second a full
detection counts the faces on a *detect-only* frame. The tracker's state is a
small dict of numbers (box, relative box, counters) owned by this module.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from . import geometry as geo
from .analysis import Box, FrameAnalysis

if TYPE_CHECKING:
    from .engine import Engine


def detect_roi(engine: Engine, grey: np.ndarray, box: Box) -> Box | None:
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
    found = engine._detect(crop, scale)
    best, best_iou = None, 0.2
    for fb in found:
        cand = (fb[0] + x0, fb[1] + y0, fb[2] + x0, fb[3] + y0)
        iou = _iou(cand, box)
        if iou > best_iou:
            best, best_iou = cand, iou
    return best


def confirm(box: Box | None, found: Box, st: dict[str, Any]) -> Box:
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


def track(
    engine: Engine,
    grey: np.ndarray,
    t: float,
    st: dict[str, Any],
    *,
    every_frame: bool = False,
) -> tuple[FrameAnalysis, dict[str, Any]]:
    """One tracking step. ``st`` is the tracker's JSON state; a new one is returned.

    Full detection (small grey copy, 6-13 ms) acquires the face. While a face is
    tracked, the box follows the landmarks; HOG on a small crop confirms it when
    the landmarks drift or ``st["force"]`` is set (the verifier sets it when the
    face's look jumps). About once a second a full detection counts the faces:
    that frame is *detect-only* (``box`` set, ``landmarks`` None, ``detected``),
    so that no frame pays for both the detector and the landmarks; unless
    ``every_frame`` (a blink is asked: its closed eyes may be on two frames
    only, and the count's frame must not be one without landmarks).
    """
    cfg = engine.config
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
        boxes = engine.significant_faces(engine.detect_frame(grey))
        st["last_full"] = t
        detected = True
        faces_count = len(boxes)
        box = confirm(None, boxes[0], st) if boxes else None
    elif t - st.get("last_full", -1e9) >= cfg.full_detect_seconds:
        # Periodic count of the faces, on a detect-only frame. The slower second
        # look only for a face too small for the grey copy anyway.
        small = (box[2] - box[0]) * cfg.detect_width / w < 80
        boxes = engine.significant_faces(engine.detect_frame(grey, retry=small))
        st["last_full"] = t
        st["force"] = False
        if boxes:
            faces_count = len(boxes)
            # Keep following the same face when several are present.
            tracked = box  # not None here; bound for the key function
            boxes.sort(key=lambda b: -_iou(b, tracked))
            st["box"] = list(confirm(box, boxes[0], st))
        else:
            # A turned head escapes the frontal detector: keep tracking, but a
            # face missing from several checks in a row is lost.
            st["misses"] = st.get("misses", 0) + 1
            if st["misses"] >= cfg.lost_after_misses:
                st["box"] = None
                st["rel"] = None
        st["faces"] = faces_count
        if not every_frame or not st["box"] or not boxes:
            return FrameAnalysis(
                width=w,
                height=h,
                faces_count=faces_count,
                box=tuple(st["box"]) if st["box"] else None,
                detected=bool(boxes),
            ), st
        box, detected = tuple(st["box"]), True
    elif st.get("force") or (
        cfg.recheck_every > 0 and st.get("since", 0) + 1 >= cfg.recheck_every
    ):
        found = detect_roi(engine, grey, box)
        st["since"] = 0
        detected = True
        if found is not None:
            box = confirm(box, found, st)
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
    fa = engine.measure(grey, box, max(faces_count, 1))
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
