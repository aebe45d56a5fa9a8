"""When the current action is asked for: the hold, the reveal, the reaction.

An action becomes due when the face is still and neutral (``armed_at``); it is
revealed a secret ``hold`` later by the server's clock, only while the face is
in view. Moving before being asked starts the hold again, and so does a gap of
more than ``hold_max_gap`` between the face frames measured in it: the hold is
seen through, not sampled by a client that picks which frames to send. The
asked movement must begin within the challenge's reaction time (plus the
session's measured round trip, bounded) of the reveal.
"""

from __future__ import annotations

import numpy as np

from . import actions
from .baseline import head_still
from .challenge import HEAD_MOVES, Challenge
from .config import EngineConfig
from .results import COACHING
from .state import Detector, Prompting, Row, SessionState


def began_by(
    cfg: EngineConfig, challenge: Challenge, s: SessionState, revealed_at: float
) -> float:
    """When the asked movement must have begun, on the server's clock."""
    reaction = challenge.reaction_seconds or challenge.per_action_seconds
    allowance = min(s.prompt.rtt or 0.0, cfg.latency_allowance_max)
    return revealed_at + reaction + allowance


def reveal(
    cfg: EngineConfig, challenge: Challenge, s: SessionState, now: float
) -> None:
    """Reveal the due action if its hold is over at ``now`` and the face was
    measured up to ``hold_max_gap`` before its end."""
    p = s.prompt
    if (
        s.baseline is None
        or s.index >= len(challenge.actions)
        or p.revealed_at is not None
        or p.armed_at is None
        or s.identity.cont is None  # the face is not in view
    ):
        return
    hold = challenge.hold(s.index)
    if now - p.armed_at >= hold and _seen(p) - p.armed_at >= hold - cfg.hold_max_gap:
        p.revealed_at = now
        s.det = Detector()


def _seen(p: Prompting) -> float:
    """The last time the held face was measured (the hold began on a measured
    frame, or on one without a face, which re-arms it)."""
    assert p.armed_at is not None  # noqa: S101 only while an action is held
    return p.armed_at if p.seen_at is None else max(p.armed_at, p.seen_at)


def hold(cfg: EngineConfig, s: SessionState, row: Row) -> None:
    """One face row while the due action is held back: the face must keep
    still; moving (or coming to rest at another pitch) starts the hold again."""
    t = row[0]
    p = s.prompt
    if t - _seen(p) > cfg.hold_max_gap:
        # Frames left out: what the face did in between was not seen, so
        # nothing says it kept still. The hold starts again.
        p.armed_at = t
    p.seen_at = t
    if resettle_pitch(cfg, s, row):
        # The head came to rest at another pitch (held up or down when the
        # baseline was taken, relaxed since): the nod is measured from there,
        # and the hold starts again from the new rest.
        s.prompt.armed_at = t
        return
    # Keeping still is judged from where the head came to rest.
    baseline = actions.resting(s)
    if actions.moving(
        cfg, baseline, row, ("open_mouth", *HEAD_MOVES), turn_level=cfg.hold_turn_level
    ):
        # Moving before being asked: the hold starts again. A recording that
        # keeps talking or moving is never asked anything.
        s.prompt.armed_at = t
        s.prompt.unprompted += 1
        s.coaching = COACHING["still"]
        s.face_ok = False


def resettle_pitch(cfg: EngineConfig, s: SessionState, row: Row) -> bool:
    """While held back: a face that keeps still (as for the baseline) at a
    pitch more than the nod's neutral band from the baseline's, other cues
    unchanged, moves the baseline pitch there. True when it did."""
    b = s.baseline
    assert b is not None  # noqa: S101 only called after the baseline
    rows = s.pending
    rows.append(row)
    t = row[0]
    while len(rows) > 1 and t - rows[1][0] >= cfg.baseline_seconds - 1e-6:
        rows.pop(0)
    if len(rows) < 3 or t - rows[0][0] < cfg.baseline_seconds - 1e-6:
        return False
    pitch = [r[4] for r in rows]
    yaw = [r[3] for r in rows]
    off = [r[5] for r in rows]
    rest = float(np.median(pitch))
    if (
        not head_still(cfg, rows)
        or abs(rest - b.pitch) <= cfg.return_fraction * cfg.nod_degrees
        or abs(float(np.median(yaw)) - b.yaw) > cfg.baseline_yaw_spread
        or abs(float(np.median(off)) - b.off) > cfg.baseline_offset_spread
    ):
        return False
    # Only the pitch: moving the yaw and nose offset too (a raised head reads
    # them a little differently) let a talking head's drifting pose pass for a
    # still face (test_replay_attacks, talking head 4).
    b.pitch = round(rest, 3)
    s.prompt.rest_yaw = round(float(np.median(yaw)), 3)
    s.prompt.rest_off = round(float(np.median(off)), 4)
    s.pending = []
    return True
