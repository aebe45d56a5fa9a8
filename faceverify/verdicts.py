"""How a session ends: the verdict from what was seen and compared.

The verifier calls these when an action's time runs out, when the last action
is done, or when it is told to stop. Every verdict code is one of the table in
:mod:`faceverify.results`; "相貌能对上" (``liveness_failed``) is used only when
a face was actually compared and matched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import identity
from .challenge import Challenge
from .prompting import began_by
from .results import Verdict
from .state import SessionState

if TYPE_CHECKING:
    from .engine import Engine


def set_verdict(
    s: SessionState, code: str, distance: float | None = None, detail: str | None = None
) -> None:
    s.verdict = Verdict(code, distance, detail, list(s.done))
    s.coaching = None


def judge(
    engine: Engine, s: SessionState, references: Sequence[Sequence[float]]
) -> tuple[str, float | None, str | None]:
    """Compare the session's face with the references.

    ``match``, ``mismatch``, ``poor`` (not reliable enough to tell: at least
    half the descriptors of dark, blurred or small faces and the distance
    over ``poor_match_threshold``) or ``none`` (nothing compared); with the
    distance and the poor-capture reason.
    """
    cfg = engine.config
    dist = identity.match_distance(
        engine, s, [[float(x) for x in r] for r in references]
    )
    if dist is None:
        return "none", None, None
    poor = identity.poor_capture(s)
    if poor is not None:
        ok = dist <= min(cfg.poor_match_threshold, cfg.match_threshold)
        return ("match" if ok else "poor"), dist, poor
    return ("match" if dist <= cfg.match_threshold else "mismatch"), dist, None


def fail_liveness(
    engine: Engine, s: SessionState, references: Sequence[Sequence[float]], detail: str
) -> None:
    """The actions were not done as asked (``detail`` says how)."""
    if not s.had_face:
        set_verdict(s, "no_face", detail=detail)
        return
    # The guide's wording for a liveness failure says the face did match: it
    # is used only when a face was compared and matched.
    judged, dist, poor = judge(engine, s, references)
    if judged == "match":
        set_verdict(s, "liveness_failed", dist, detail=detail)
    elif judged == "mismatch":
        set_verdict(s, "mismatch", dist, detail=f"liveness:{detail}")
    elif judged == "poor":
        set_verdict(s, "poor_capture", dist, detail=f"{poor}:liveness:{detail}")
    else:
        set_verdict(s, "actions_failed", detail=detail)


def decide(
    engine: Engine, s: SessionState, references: Sequence[Sequence[float]]
) -> None:
    """Every action done and the final face checked: the verdict."""
    # Liveness first: too few live frames to have seen anything is a replay
    # (the peaks themselves were checked for planar motion as they happened).
    if s.face_frames < 6:
        fail_liveness(engine, s, references, "replay_suspected")
        return
    judged, dist, poor = judge(engine, s, references)
    if judged == "none":
        fail_liveness(engine, s, references, "no_descriptor")
    elif judged == "match":
        set_verdict(s, "passed", dist)
    elif judged == "poor":
        # Too dark, blurred or small to tell: coached, never "不匹配".
        set_verdict(s, "poor_capture", dist, detail=poor)
    else:
        set_verdict(s, "mismatch", dist)


def check_timeout(
    engine: Engine,
    challenge: Challenge,
    references: Sequence[Sequence[float]],
    s: SessionState,
    t: float,
) -> None:
    """End the session at ``t`` if the current step's time has run out."""
    if s.verdict is not None:
        return
    cfg, p = engine.config, s.prompt

    def fail(detail: str) -> None:
        fail_liveness(engine, s, references, detail)

    if s.baseline is None:
        # The first action's time starts with the baseline; until then a
        # session with no face ends as before, one whose face never settles
        # (still and frontal) after ``baseline_max_seconds``.
        waited = t - (s.start_t if s.start_t is not None else t)
        if not s.had_face and waited > challenge.per_action_seconds:
            fail("action_timeout")
        elif waited > cfg.baseline_max_seconds:
            fail("no_baseline")
    elif s.index < len(challenge.actions):
        if p.revealed_at is None:
            if p.first_armed is not None and t - p.first_armed > cfg.quiet_max_seconds:
                fail("not_still")
        elif t - p.revealed_at > challenge.per_action_seconds:
            fail("action_timeout")
        elif (
            challenge.reaction_seconds is not None
            and not (s.det.peak or s.det.reacted)
            and t > began_by(cfg, challenge, s, p.revealed_at) + cfg.onset_to_peak_max
        ):
            # No peak long after the movement had to begin: no answer.
            fail("no_reaction")
    elif (
        s.identity.need_desc
        and s.identity.need_since is not None
        and t - s.identity.need_since > challenge.per_action_seconds
    ):
        # Actions done but no usable frame for the final check.
        fail("no_final_frame")
