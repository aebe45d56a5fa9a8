"""The neutral face of a session: every action threshold is relative to it."""

from __future__ import annotations

import math
from collections.abc import Iterable

from . import geometry as geo
from .engine import EngineConfig, FrameAnalysis
from .results import COACHING
from .state import Baseline, Row, SessionState


def sample(t: float, fa: FrameAnalysis) -> Row:
    """The measurement row of one face frame."""
    return [
        float(t),
        round(float(fa.ear), 5),
        round(float(fa.mar), 5),
        round(float(fa.yaw), 3),
        round(float(fa.pitch), 3),
        round(geo.yaw_offset(fa.landmarks), 4) if fa.landmarks is not None else 0.0,
    ]


def quantile(values: Iterable[float], q: float) -> float:
    """Like ``numpy.percentile(values, 100 * q)`` (linear), without its warm-up."""
    v = sorted(float(x) for x in values)
    pos = q * (len(v) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def head_still(cfg: EngineConfig, rows: list[Row]) -> bool:
    """Head pose and nose offset steady over ``rows`` (the baseline's spreads)."""
    pitch = [r[4] for r in rows]
    yaw = [r[3] for r in rows]
    off = [r[5] for r in rows]
    return (
        max(yaw) - min(yaw) <= cfg.baseline_yaw_spread
        and max(pitch) - min(pitch) <= cfg.baseline_pitch_spread
        and max(off) - min(off) <= cfg.baseline_offset_spread
    )


def baseline_step(cfg: EngineConfig, s: SessionState, row: Row) -> bool:
    """Add a row to the baseline window; take the baseline once it is neutral.

    The window holds the face frames of the last ``baseline_seconds``. It
    becomes the baseline only when the face in it is still (head pose and nose
    offset spreads, eye ratio not dipping: no blink, not settling) and
    near-frontal with the mouth not held open, so that a session starting
    mid-turn, mid-blink, with the mouth open or while the user settles waits
    (coached to face the camera) instead of measuring every later action
    against a turned or closed-eyed reference.
    """
    rows = s.pending
    rows.append(row)
    t = row[0]
    # The eye and mouth references come from a longer history than the window
    # (see below): keep the face frames of the last ``baseline_ref_seconds``.
    hist = s.hist
    hist.append(row)
    while len(hist) > 1 and t - hist[0][0] > cfg.baseline_ref_seconds + 1e-6:
        hist.pop(0)
    while len(rows) > 1 and t - rows[1][0] >= cfg.baseline_seconds - 1e-6:
        rows.pop(0)
    ear = [r[1] for r in rows]
    mar = [r[2] for r in rows]
    yaw = [r[3] for r in rows]
    pitch = [r[4] for r in rows]
    off = [r[5] for r in rows]
    still = (
        head_still(cfg, rows)
        and min(ear) >= cfg.baseline_min_ear_ratio * max(ear)
        # Eyes fully open: as open as they were over the last second, not
        # still reopening after a blink (the window alone can be steady then).
        and quantile(ear, 0.5)
        >= cfg.baseline_open_eye_ratio * quantile([r[1] for r in hist], 0.9)
    )
    frontal = (
        quantile(mar, 0.2) <= cfg.baseline_max_mouth
        and abs(quantile(yaw, 0.5)) <= cfg.baseline_frontal_yaw
        and abs(quantile(off, 0.5)) <= cfg.baseline_frontal_offset
    )
    if not (still and frontal):
        if s.coaching is None:
            s.coaching = COACHING["frontal"]
            s.face_ok = False
        return False
    if len(rows) < 3 or t - rows[0][0] < cfg.baseline_seconds - 1e-6:
        return False
    h_ear = [r[1] for r in hist]
    h_mar = [r[2] for r in hist]
    s.baseline = Baseline(
        # Open eyes: an upper quantile over the last second, not only the short
        # still window: eyes still opening after a blink, or a user who blinks
        # often or slowly, would otherwise leave a half-closed reference and
        # later blinks would not dip far enough below it.
        ear=max(quantile(h_ear, 0.8), quantile(ear, 0.8)),
        # Closed mouth: the lowest mouth ratio of the last second (a closed
        # mouth is the floor of the ratio). A window taken while the mouth
        # starts to open, or a held smile, would otherwise raise it: the blink
        # check (mouth where it was) and the open-mouth planar reference (a
        # clearly neutral frame) then go wrong.
        mar=min(min(h_mar), quantile(mar, 0.2)),
        yaw=quantile(yaw, 0.5),
        pitch=quantile(pitch, 0.5),
        off=quantile(off, 0.5),
    )
    s.pending = []
    s.hist = []
    return True
