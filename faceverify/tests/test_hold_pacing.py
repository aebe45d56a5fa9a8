"""A browser asked to send less often while a prompt is held back (fewer
requests): that pacing is not line delay, so it never widens the reaction
window; the line's own round trip still does."""

from __future__ import annotations

import pytest

from faceverify import Challenge, Verifier, actors

from .conftest import shared_dir

STEP = 0.125  # the camera's frames (camera.js keeps 4 a second in a hold)
PACE = {"hold": 1.0}  # seconds between requests by the answer's phase
SEND_EVERY = 0.5  # otherwise


@pytest.fixture(scope="module")
def man(shared):
    return actors.webcam_man(shared_dir())


@pytest.fixture(scope="module")
def man_ref(engine, man):
    return engine.enrol(man.enrolment).descriptor


def paced(engine, ref, person, *, latency, pace):
    """One request in flight, each carrying the frames captured since the last
    left, arriving ``latency`` after it left and answered ``latency`` later;
    the next leaves no sooner than the answer's phase allows (``pace``).
    Returns the verifier and the gaps it had when each action was revealed."""
    challenge = Challenge(("turn_right", "nod"), holds=(3.0, 3.0), reaction_seconds=3.5)
    v = Verifier(engine, challenge, [ref])
    sent, captured, phase, seen = 0.0, 0.0, "settle", []
    while sent < 40 and v.verdict is None:
        batch = []
        while captured <= sent:
            batch.append(captured)
            captured += STEP
        arrival = sent + latency
        for c in batch[-8:]:
            v.feed(arrival - (batch[-1] - c), person.frame(c), advance=False)
        p = v.advance(arrival)
        if p.phase == "act" and phase == "hold":
            seen.append(list(v.s.prompt.gaps))
        phase = p.phase
        person.prompted(p.current_action, arrival + latency)
        sent = max(arrival + latency, sent + pace.get(phase, SEND_EVERY))
    return v, seen


def test_the_slower_pace_of_a_hold_does_not_widen_the_window(engine, man, man_ref):
    quick = actors.Responder(man, reaction_seconds=0.8, retry_seconds=None)
    v, seen = paced(engine, man_ref, quick, latency=0.05, pace=PACE)
    assert v.verdict is not None
    assert v.verdict.code == "passed", v.verdict
    assert len(seen) == 2
    # Gaps of the 0.5 s requests only, never the 1 s ones of the holds.
    for gaps in seen:
        assert gaps
        assert max(gaps) == pytest.approx(0.5, abs=0.01)
    assert v.s.prompt.rtt == pytest.approx(0.5, abs=0.01)


def test_a_slow_line_still_widens_it_with_the_slower_hold_pace(engine, man, man_ref):
    # 0.75 s each way (slower than either pace): the line's round trip is
    # measured outside the holds and still covers an old man's 2.5 s reaction
    # (test_prompts.test_a_slow_line_widens_the_window_by_its_round_trip_only).
    slow = actors.Responder(man, reaction_seconds=2.5, retry_seconds=None)
    v, _seen = paced(engine, man_ref, slow, latency=0.75, pace=PACE)
    assert v.verdict is not None
    assert v.verdict.code == "passed", v.verdict
    assert v.s.prompt.rtt == pytest.approx(1.5, abs=0.01)
