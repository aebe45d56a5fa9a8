"""Passive anti-replay: an action's peak must not be a flat picture moved.

The peak frame of a turn, nod or open mouth is compared with the last clearly
neutral frame (64x64 aligned face crops): if one homography (ECC) maps one onto
the other with correlation >= ``planar_rho``, the change is a picture being
moved and the peak does not count. The ECC iterations run a few per frame while
the session goes on; the frame that would decide the verdict finishes them.
"""

from __future__ import annotations

import base64

import numpy as np

from . import geometry as geo
from .engine import EngineConfig, FrameAnalysis
from .state import Detector, PlanarCheck, SessionState


def b64(crop: np.ndarray) -> str:
    """A crop as base64 text (state values are plain JSON)."""
    return base64.b64encode(crop.tobytes()).decode("ascii")


def unb64(text: str) -> np.ndarray:
    """Inverse of :func:`b64` for a CROP x CROP crop."""
    crop = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
    return crop.reshape(geo.CROP, geo.CROP)


def set_reference(s: SessionState, grey: np.ndarray, fa: FrameAnalysis) -> None:
    """Keep a small aligned picture of the face for the planar-motion check."""
    if fa.landmarks is None:
        raise ValueError("no face on this frame")
    canon = geo.canonical_points(fa.landmarks)
    s.replay.canon = canon.round(3).tolist()
    s.replay.ref_crop = b64(geo.aligned_crop(grey, fa.landmarks, canon))


def crop(s: SessionState, grey: np.ndarray, fa: FrameAnalysis) -> np.ndarray:
    """The face of this frame aligned to the session's canonical points."""
    if fa.landmarks is None or s.replay.canon is None:
        raise ValueError("no face on this frame")
    canon = np.asarray(s.replay.canon, dtype=np.float32)
    return geo.aligned_crop(grey, fa.landmarks, canon)


# The rows of the aligned crop below the nose: an open mouth changes only
# these, so the whole face (mostly rigid) would pass for a plane moved.
MOUTH_ROWS = [36, geo.CROP]


def queue_check(s: SessionState, ref: str, cur: np.ndarray, action: str) -> None:
    """Check the current action's peak over the next frames."""
    rows = MOUTH_ROWS if action == "open_mouth" else None
    s.replay.checks.append(PlanarCheck(i=s.index, ref=ref, cur=b64(cur), rows=rows))


def run_checks(
    cfg: EngineConfig,
    s: SessionState,
    t: float,
    *,
    all_now: bool = False,
    timed: bool = True,
) -> None:
    """Advance the oldest pending planar check of an action peak by one share.

    A live face needs all 2 x 80 ECC iterations (~25 ms), so a few run per
    frame and the session goes on meanwhile. A peak found planar does not
    count: its action, and any after it, are open again (the user is asked
    again) and the verdict waits for all checks. With ``all_now`` (the frame
    that decides the verdict) every check finishes. ``timed``: the reopened
    action is prompted again after a hold (else it goes on at once).
    """
    checks = s.replay.checks
    while checks:
        check = checks[0]
        ref, cur = unb64(check.ref), unb64(check.cur)
        if check.rows is not None:
            top, bottom = check.rows
            ref, cur = ref[top:bottom], cur[top:bottom]
        # The best correlation only grows: once it reaches planar_rho the peak
        # is planar whatever the iterations left would find.
        job = geo.planar_advance(
            ref,
            cur,
            check.job,
            geo.ECC_WHOLE if all_now else cfg.planar_iterations_per_frame,
            enough=min(cfg.planar_rho, 0.99),
        )
        check.job = job
        if not job["done"]:
            return
        checks.pop(0)
        rho = job["best"]
        # An alignment that fails to converge proves nothing either way.
        if -0.5 <= rho < cfg.planar_rho:
            if all_now:
                continue
            return  # live
        _planar_peak(s, t, check, timed)
        return


def _planar_peak(s: SessionState, t: float, check: PlanarCheck, timed: bool) -> None:
    """A peak was a picture moved as a plane: reopen its action, ask again."""
    s.replay.planar_peaks += 1
    s.replay.checks = []
    if check.i < s.index:
        s.index = check.i
        s.done = s.done[: check.i]
        if s.identity.need_desc == "final":
            s.identity.need_desc = None
            s.identity.need_since = None
    if timed:
        s.prompt = s.prompt.rearmed(t)
        s.det = Detector(ncrop=check.ref)
    else:
        s.det = Detector(neutral=True, ncrop=check.ref)
