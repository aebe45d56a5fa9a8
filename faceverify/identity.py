"""Identity within a session: the same face throughout, matched at the end.

On the first good frontal frame the 150x150 face chip is kept (JPEG in the
state); its descriptor (66 ms) is computed only when first needed. Every face
frame is compared with the previous one cheaply (correlation of the 32x32
aligned face, jumps of its centre and scale, a frame-size change, a face lost
and found again); any of these asks for a descriptor on the next good frame, as
do the end of the last action and, as a backstop, ``descriptor_every_seconds``
without one. A descriptor further than ``change_threshold`` from the first one,
twice in a row, is another face.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import cv2
import numpy as np

from . import geometry as geo
from .engine import Engine, EngineConfig, FrameAnalysis, descriptor_distance
from .state import Continuity, SessionState

CONT = 32  # side of the aligned face compared between consecutive frames


def continuity(
    cfg: EngineConfig, s: SessionState, aligned: np.ndarray, fa: FrameAnalysis
) -> None:
    """Cheap per-frame check that the face is the one of the previous frame.

    A spliced clip or a face put in front of the camera changes, between two
    consecutive face frames, the look of the aligned face (32x32 correlation),
    or makes its centre or scale jump. Any of these asks for a descriptor (the
    real identity check) on the next good frame, and for a detector check of
    the box. A frame-size change or a face lost and found again does too.
    """
    if fa.landmarks is None:
        raise ValueError("no face on this frame")
    ident = s.identity
    small = cv2.resize(aligned, (CONT, CONT), interpolation=cv2.INTER_AREA)
    c = fa.landmarks[geo.STABLE_IDX].mean(0)
    iod = max(fa.inter_ocular, 1.0)
    prev = ident.cont
    if prev is not None:
        ref = np.frombuffer(base64.b64decode(prev.crop), dtype=np.uint8)
        ncc = geo.ncc(ref.reshape(CONT, CONT), small)
        jump = math.hypot(c[0] - prev.c[0], c[1] - prev.c[1]) / prev.iod
        scale = max(iod / prev.iod, prev.iod / iod)
        if (
            ncc < cfg.continuity_ncc
            or jump > cfg.continuity_jump
            or scale > cfg.continuity_scale
            or prev.size != [fa.width, fa.height]
        ):
            ident.triggers += 1
            ident.need_desc = ident.need_desc or "continuity"
            s.tracker["force"] = True
    ident.cont = Continuity(
        crop=base64.b64encode(small.tobytes()).decode("ascii"),
        c=[round(float(c[0]), 2), round(float(c[1]), 2)],
        iod=round(float(iod), 2),
        size=[fa.width, fa.height],
    )


def capture_quality(
    cfg: EngineConfig, raw: np.ndarray, fa: FrameAnalysis
) -> dict[str, Any]:
    """How reliable a descriptor of this frame is: the figures and the judgement.

    ``light`` is the mean grey level of the face box *before* the low-light lift
    (the lift helps the landmarks, not the descriptor: the noise of a dark
    picture is what moves it), ``focus`` how steep the face's edges are
    (``geometry.focus``; ``sharpness``, the Laplacian variance, is shown too),
    ``size`` the face width as a fraction of the frame width. ``poor`` when any
    is under its reliable level (see ``bench/bench_light.py``).
    """
    if fa.box is None or fa.landmarks is None:
        raise ValueError("no face on this frame")
    x0, y0, x1, y1 = (int(v) for v in fa.box)
    h, w = raw.shape[:2]
    region = raw[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)]
    light = float(region.mean()) if region.size else 0.0
    size = (x1 - x0) / max(fa.width, 1)
    focus = geo.focus(raw, fa.landmarks)
    reason = ""
    if light < cfg.reliable_face_light:
        reason = "dark"
    elif focus < cfg.reliable_focus:
        reason = "blur"
    elif size < cfg.reliable_face_frac:
        reason = "far"
    return {
        "light": round(light, 1),
        "sharpness": round(float(fa.sharpness), 1),
        "focus": round(focus, 2),
        "size": round(size, 3),
        "poor": bool(reason),
        "reason": reason,
    }


def good_for_descriptor(
    cfg: EngineConfig, s: SessionState, fa: FrameAnalysis, t: float, since: float
) -> bool:
    """A frame sharp and frontal enough for a descriptor (less picky with time)."""
    b = s.baseline
    if not s.face_ok or b is None:
        return False
    if s.identity.need_desc == "confirm":
        # Confirming a doubt: the very next sharp face decides, turned or not.
        return fa.sharpness >= 0.5 * cfg.min_sharpness
    waited = t - since
    # Prefer a frontal frame with open eyes and a closed mouth; after waiting a
    # while, accept any reasonably frontal one.
    yaw_lim, pitch_lim = (8.0, 10.0) if waited < 2.0 else (15.0, 18.0)
    if abs(fa.yaw - b.yaw) > yaw_lim or abs(fa.pitch - b.pitch) > pitch_lim:
        return False
    if waited < 2.0 and (fa.ear < 0.8 * b.ear or fa.mar > b.mar + 0.15):
        return False
    return fa.sharpness >= 0.5 * cfg.min_sharpness


def _chip(engine: Engine, fa: FrameAnalysis, image: Any) -> np.ndarray:
    colour = (
        image
        if isinstance(image, np.ndarray)
        else engine.decode_frame(image, grey=False)
    )
    if fa.box is None:
        raise ValueError("no face on this frame")
    return engine.face_chip(colour, fa.box)


def keep_anchor(
    engine: Engine,
    s: SessionState,
    fa: FrameAnalysis,
    t: float,
    image: Any,
    poor: str = "",
) -> bool:
    """Keep the chip of the session's first good frame (JPEG, ~8 KB of state);
    ``poor`` is its capture judgement (:func:`capture_quality`)."""
    chip = _chip(engine, fa, image)
    ok, jpg = cv2.imencode(
        ".jpg", np.ascontiguousarray(chip[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 95]
    )
    if not ok:
        return False
    s.identity.anchor = base64.b64encode(jpg.tobytes()).decode("ascii")
    s.identity.anchor_poor = poor
    s.identity.last_desc_t = t
    return True


def anchor_descriptor(engine: Engine, s: SessionState) -> None:
    """Compute the kept anchor's descriptor, the first of the session's list."""
    ident = s.identity
    if ident.descs or ident.anchor is None:
        return
    jpg = np.frombuffer(base64.b64decode(ident.anchor), dtype=np.uint8)
    decoded = cv2.imdecode(jpg, cv2.IMREAD_COLOR)
    assert decoded is not None  # noqa: S101 our own imencode output (keep_anchor)
    desc = engine.chip_descriptor(decoded[:, :, ::-1])
    ident.descs.append([round(x, 6) for x in desc])
    _align_poor(ident.descs, ident.poor)
    ident.poor[-1] = ident.anchor_poor
    ident.anchor = None


def _align_poor(descs: list[list[float]], poor: list[str]) -> None:
    """One capture judgement per descriptor (a state saved without them: good)."""
    del poor[len(descs) :]
    poor.extend([""] * (len(descs) - len(poor)))


def take_descriptor(
    engine: Engine,
    s: SessionState,
    fa: FrameAnalysis,
    t: float,
    image: Any,
    poor: str = "",
) -> bool:
    """Take this frame's descriptor; False when the face changed (twice in a row).

    ``poor`` is the frame's capture judgement (:func:`capture_quality`)."""
    cfg = engine.config
    ident = s.identity
    anchor_descriptor(engine, s)
    desc = engine.chip_descriptor(_chip(engine, fa, image))
    ident.need_desc = None
    ident.need_since = None
    ident.last_desc_t = t
    descs = ident.descs
    if descs and descriptor_distance(descs[0], desc) > cfg.change_threshold:
        # One odd chip (a box that lagged behind a quick move, a blurred or
        # half-lit frame) must not fail a genuine pensioner: the next good frame
        # has to disagree as well. A real swap keeps disagreeing.
        if ident.doubt:
            return False
        ident.doubt = True
        ident.need_desc = "confirm"
        return True
    ident.doubt = False
    _align_poor(descs, ident.poor)
    descs.append([round(x, 6) for x in desc])
    ident.poor.append(poor)
    if len(descs) > cfg.max_descriptors:
        del descs[1]  # keep the first (session identity) and the latest ones
        del ident.poor[1]
    return True


def match_distance(
    engine: Engine, s: SessionState, references: list[list[float]]
) -> float | None:
    """Mean distance of the session's descriptors to the nearest reference."""
    anchor_descriptor(engine, s)
    if not s.identity.descs or not references:
        return None
    per = [min(descriptor_distance(d, r) for r in references) for d in s.identity.descs]
    return float(np.mean(per))


def poor_capture(s: SessionState) -> str | None:
    """Why the session's descriptors are not reliable, or None when they are.

    At least half of them taken of frames below a reliable level (dark, blurred,
    small face): their distance says too little to call the face another
    person's (bench/bench_light.py: genuine and impostor distances close in
    as the light goes down). The commonest reason is returned.
    """
    ident = s.identity
    _align_poor(ident.descs, ident.poor)
    reasons = [r for r in ident.poor if r]
    if not ident.descs or 2 * len(reasons) < len(ident.descs):
        return None
    return max(sorted(set(reasons)), key=reasons.count)
