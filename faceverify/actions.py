"""The five actions: how each is measured against the baseline, and detected.

An action is a real change over time, neutral -> peak -> neutral, relative to
the session's baseline, and it counts only when it answers its prompt: the
neutral frame before it and its peak come after the server revealed the
prompt, the peak no sooner than a human reaction allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from .challenge import HEAD_MOVES
from .engine import EngineConfig
from .replay import b64
from .state import Baseline, Detector, Row, SessionState

# How far back "how open the eyes were just before" a blink looks, in seconds.
_BLINK_RECENT_S = 0.6
# A blink with the mouth open counts if the mouth moved less than this since the
# frame before (jitter on a still picture moves the mouth with the eyes).
_BLINK_MOUTH_STEADY = 0.06
_BLINK_PITCH_DEGREES = 12.0
# Further off than this, a blink frame's pitch is the pose fit flipping to its
# other solution (seen on a woman of the clips: +50 deg on the closed frames and
# back on the next): no head pitches that far and back within a blink, so the
# reading says nothing about the head; the yaw and the mouth still guard.
_POSE_FLIP_DEGREES = 30.0
# A nod's rest: the pitch steady within this over the baseline's window (a
# slow nod moves more than this in that time).
_NOD_REST_SPREAD = 3.0
# Movements of the head (``challenge.HEAD_MOVES``), which a person asked to keep
# still does not make by accident (blinks and a moving mouth are natural).
# A turn other than the one asked for is a wrong move. Turns need two cues to
# agree; a nod reads the solvePnP pitch alone, which flips on some faces.
TURNS = ("turn_left", "turn_right")


def measure(
    cfg: EngineConfig, b: Baseline, action: str, row: Row
) -> tuple[float, float]:
    """(score, away) of ``action`` on one row: score >= 1 is its peak, away is
    how far from the baseline in that action's terms (neutral: away <= return)."""
    _t, _ear, mar, yaw, pitch, off = row[:6]
    if action == "open_mouth":
        score = (mar - b.mar) / cfg.mouth_open_delta
        return score, abs(score)
    if action == "nod":
        score = (pitch - b.pitch) / cfg.nod_degrees
        return score, abs(score)
    # Left and right of the user, on raw frames: turn_left moves the nose to the
    # image right (yaw and offset > 0).
    sign = 1.0 if action == "turn_left" else -1.0
    by_pose = sign * (yaw - b.yaw) / cfg.turn_degrees
    by_nose = sign * (off - b.off) / cfg.turn_offset
    # Both cues must agree: the nose offset past its threshold and the solvePnP
    # yaw at least part of the way.
    return min(by_nose, by_pose / cfg.turn_pnp_fraction), max(
        abs(by_pose), abs(by_nose)
    )


def moving(
    cfg: EngineConfig,
    b: Baseline,
    row: Row,
    actions: tuple[str, ...],
    *,
    turn_level: float = 1.0,
) -> bool:
    """True when the row shows any of ``actions`` (not blinks) at its peak, or a
    turn at ``turn_level`` of its peak (both cues agree, so a little drift of
    an old neck does not count, a head turning does)."""
    for action in actions:
        score, away = measure(cfg, b, action, row)
        if action in TURNS:
            if score >= turn_level:
                return True
        elif (away if action == "nod" else score) >= 1.0:
            return True
    return False


def resting(s: SessionState) -> Baseline:
    """The baseline, with the yaw and nose offset of where the head came to
    rest if it settled at another pitch while held back
    (``prompting.resettle_pitch``): a raised head reads them a little
    differently, and from the raised baseline the rested head sits at half a
    turn, so it was never still and never back from a turn."""
    b, p = s.baseline, s.prompt
    assert b is not None  # noqa: S101 only called after the baseline
    if p.rest_yaw is None or p.rest_off is None:
        return b
    return replace(b, yaw=p.rest_yaw, off=p.rest_off)


def settled(cfg: EngineConfig, b: Baseline, row: Row) -> bool:
    """Every head movement back within the return band."""
    return all(measure(cfg, b, a, row)[1] <= cfg.return_fraction for a in HEAD_MOVES)


def step(
    cfg: EngineConfig,
    s: SessionState,
    action: str,
    row: Row,
    crop: Callable[[], np.ndarray] | None,
    planar: Callable[[str, np.ndarray], None],
    *,
    timed: bool = True,
) -> bool:
    """Advance the current action's detector by one row; True when it is done.

    ``crop`` gives this frame's aligned face (None: no picture, the peak cannot
    be proven live); ``planar`` queues the planar check of a peak against a
    neutral crop. ``timed``: the prompt was timed by the server, so a peak
    sooner than ``min_reaction_seconds`` after it began before it.
    """
    revealed = s.prompt.revealed_at
    b = s.baseline
    t = row[0]
    if b is None or revealed is None or t < revealed:
        return False  # not asked yet, or a frame captured before the prompt
    d = s.det
    early = timed and t - revealed < cfg.min_reaction_seconds
    if action == "blink":
        return _blink(cfg, b, d, row, early)
    if action == "nod":
        return _nod(cfg, s, row, crop, planar, early)
    # Turns from where the head rests (see resting).
    score, away = measure(cfg, resting(s), action, row)
    ret = cfg.return_fraction
    neutral = away <= ret
    if not d.peak:
        if neutral:
            d.neutral = True
            d.t_neutral = t
            if crop is not None and (away <= 0.5 * ret or d.ncrop is None):
                # The planar check's reference: a clearly neutral frame (a
                # half-open mouth next to an open one can pass for the same
                # picture slightly warped).
                d.ncrop = b64(crop())
        elif score >= 1.0 and d.neutral:
            if early:
                # Faster than anyone reacts to a spoken prompt: the movement
                # began before the prompt. It must come back and start again.
                d.neutral = False
                return False
            # The peak counts only if this frame cannot be explained as the
            # last neutral frame (or the first frame) moved as a plane; without
            # the frame the answer is "planar": a peak must be proven live.
            if crop is None or s.replay.ref_crop is None:
                s.replay.planar_peaks += 1
            else:
                planar(d.ncrop or s.replay.ref_crop, crop())
                d.peak, d.t_peak = True, t
        return False
    return neutral


def _nod(
    cfg: EngineConfig,
    s: SessionState,
    row: Row,
    crop: Callable[[], np.ndarray] | None,
    planar: Callable[[str, np.ndarray], None],
    early: bool,
) -> bool:
    """A nod: the head goes down ``nod_degrees`` from where it rested when
    asked and comes back.

    The rest pitch is the baseline's unless the first frame after the prompt is
    already outside the neutral band: a baseline taken with the head held up
    (or down) and a head that relaxed since would otherwise never be neutral,
    and the nod could not begin.
    """
    b, d = s.baseline, s.det
    assert b is not None  # noqa: S101 step() checked it
    t, pitch = row[0], row[4]
    band = cfg.return_fraction * cfg.nod_degrees
    if d.ref_pitch is None:
        d.ref_pitch = b.pitch if abs(pitch - b.pitch) <= band else pitch
    if not d.peak:
        # Where the head comes to rest (a steady pitch over the baseline's
        # window) before nodding is the rest the nod is measured from.
        d.recent = [p for p in d.recent if t - p[0] < cfg.baseline_seconds - 1e-6]
        d.recent.append([t, pitch])
        held = [p[1] for p in d.recent]
        if (
            len(held) >= 3
            and t - d.recent[0][0] >= 0.5 * cfg.baseline_seconds
            and max(held) - min(held) <= _NOD_REST_SPREAD
        ):
            d.ref_pitch = sorted(held)[len(held) // 2]
    # Down only: pitch flips of the pose fit on some faces read as a head going
    # up (a stranger's clip then "nodded" before a swap).
    score = (pitch - d.ref_pitch) / cfg.nod_degrees
    away = abs(score)
    if not d.peak:
        if away <= cfg.return_fraction:
            d.neutral = True
            d.t_neutral = t
            if crop is not None and (away <= 0.5 * cfg.return_fraction or not d.ncrop):
                d.ncrop = b64(crop())
        elif score >= 1.0 and d.neutral:
            if early:
                d.neutral = False
                return False
            # As for the other head movements: the peak must be proven live.
            if crop is None or s.replay.ref_crop is None:
                s.replay.planar_peaks += 1
            else:
                planar(d.ncrop or s.replay.ref_crop, crop())
                d.peak, d.t_peak, d.extreme = True, t, pitch
                d.recent = []
        return False
    d.extreme = pitch if d.extreme is None else max(d.extreme, pitch)
    # Back to the rest pitch (a face that jumps to another pose and jitters
    # there has not come back: a swap after a jump must not finish a nod).
    if away <= cfg.return_fraction:
        return True
    return _new_rest(cfg, d, t, pitch)


def _new_rest(cfg: EngineConfig, d: Detector, t: float, pitch: float) -> bool:
    """After a nod's peak, a head steady away from its old rest for
    ``nod_rest_seconds``: a raised head that relaxed when asked. Done if it
    went a nod below that new rest and came back; else the nod is measured
    from the new rest (the movement did begin in time)."""
    d.recent = [p for p in d.recent if t - p[0] < cfg.nod_rest_seconds - 1e-6]
    d.recent.append([t, pitch])
    held = [p[1] for p in d.recent]
    if (
        len(held) < 3
        or t - d.recent[0][0] < cfg.nod_rest_seconds - cfg.baseline_seconds
        or max(held) - min(held) > _NOD_REST_SPREAD
    ):
        return False
    rest = sorted(held)[len(held) // 2]
    assert d.extreme is not None  # noqa: S101 set at the peak
    if d.extreme - rest >= cfg.nod_degrees:
        return True
    d.ref_pitch, d.extreme, d.peak = rest, None, False
    d.neutral, d.t_neutral, d.reacted = True, t, True
    d.recent = []
    return False


def _blink(cfg: EngineConfig, b: Baseline, d: Detector, row: Row, early: bool) -> bool:
    t, ear, mar, yaw, pitch = row[:5]
    # The open level is the baseline's, or the last moment's when the eyes have
    # settled lower since (tired or drooping lids, a wide-eyed start): a blink
    # is a dip below how open the eyes were just before.
    recent = [p for p in d.recent if t - p[0] <= _BLINK_RECENT_S]
    prev_mar = b.mar if d.prev_mar is None else d.prev_mar
    if not d.peak:
        recent.append([t, ear])
        d.recent = recent
        d.prev_mar = mar
    open_level = min(b.ear, max(p[1] for p in recent)) if recent else b.ear
    ratio = ear / open_level if open_level > 0 else 1.0
    if not d.peak:
        if ratio >= cfg.blink_open_ratio:
            d.neutral = True
            d.t_neutral = t
        elif (
            ratio <= cfg.blink_close_ratio
            and d.neutral
            # Landmark jitter on a picture moves everything at once; a real
            # blink leaves the head pose and the mouth where they were (at
            # rest, or as open as a frame ago: people talk and blink).
            and abs(yaw - b.yaw) < 8.0
            # Closed lids pull the eye corners the pose is fitted to: the pitch
            # of a fully closed frame reads up to ~10 deg off.
            and not _BLINK_PITCH_DEGREES <= abs(pitch - b.pitch) < _POSE_FLIP_DEGREES
            and (abs(mar - b.mar) < 0.12 or abs(mar - prev_mar) < _BLINK_MOUTH_STEADY)
        ):
            if early:
                d.neutral = False
                return False
            d.peak, d.t_peak = True, t
        return False
    if ratio >= cfg.blink_open_ratio:
        if t - d.t_peak <= cfg.blink_max_closed_seconds:
            return True
        d.peak = False  # eyes shut for too long is not a blink; start over
    return False


def watch_wrong(cfg: EngineConfig, s: SessionState, action: str, row: Row) -> None:
    """Count turns other than the asked one (once per movement)."""
    d = s.det
    if (
        s.baseline is None
        or s.prompt.revealed_at is None
        or row[0] < s.prompt.revealed_at
    ):
        return
    b = resting(s)
    others = tuple(a for a in TURNS if a != action)
    if d.wrong:
        d.wrong = not settled(cfg, b, row)
    elif not d.peak and moving(cfg, b, row, others):
        d.wrong = True
        s.prompt.wrong += 1


def next_action(s: SessionState, action: str, t: float) -> None:
    """Record ``action`` as done; the next one is armed (held, then prompted)."""
    s.done.append(action)
    s.index += 1
    s.det = Detector()
    s.prompt = s.prompt.rearmed(t)
