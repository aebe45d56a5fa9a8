"""The state's JSON form: exact round trip, the dataclasses' own form built
field by field, nothing shared with the live state, other versions refused."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass

import pytest

from faceverify import Challenge, Verifier
from faceverify.state import STATE_VERSION, SessionState, StateVersionError

CLIP = "head_turn/webcam_man_turn_left_right.mp4"


@pytest.fixture(scope="module")
def states(engine, clip_cache, webcam_ref):
    """The verifier after every frame of a genuine session (the live state and
    its JSON form), up to and with its verdict."""
    timed, _frames, _fps = clip_cache(CLIP)
    v = Verifier(engine, Challenge(("turn_right", "turn_left")), [webcam_ref])
    out = []
    for t, jpg in timed:
        progress = v.feed(t, jpg)
        out.append((v.s, v.state))
        if progress.finished:  # not scrubbed here: the web layer does that
            break
        # As the web layer: the next request continues from the saved text.
        saved = json.loads(json.dumps(out[-1][1]))
        v = Verifier(engine, v.challenge, [webcam_ref], state=saved)
    return out


def _containers(value, seen):
    """ids of every list and dict reachable from ``value`` (dataclasses walked)."""
    if is_dataclass(value):
        for item in vars(value).values():
            _containers(item, seen)
    elif isinstance(value, dict):
        seen.add(id(value))
        for item in value.values():
            _containers(item, seen)
    elif isinstance(value, list):
        seen.add(id(value))
        for item in value:
            _containers(item, seen)
    return seen


def test_the_session_went_through_every_part_of_the_state(states):
    # What the other tests compare must hold descriptors, crops and checks.
    assert any(s.identity.descs and s.identity.cont for s, _ in states)
    assert any(s.replay.ref_crop and s.replay.canon for s, _ in states)
    assert any(s.replay.checks for s, _ in states)
    assert any(s.det.recent or s.det.ncrop for s, _ in states)


def test_the_json_form_round_trips_exactly_at_every_frame(states):
    for live, form in states:
        assert form["v"] == STATE_VERSION
        json.loads(json.dumps(form, allow_nan=False))
        again = SessionState.from_json(json.loads(json.dumps(form)))
        assert again == live
        assert again.to_json() == form


def test_the_json_form_is_what_dataclasses_asdict_gives(states):
    # The field-by-field form misses no field and changes no value.
    for live, form in states:
        assert form == asdict(live)


def test_the_json_form_shares_nothing_with_the_live_state(states):
    for live, form in states:
        assert not _containers(form, set()) & _containers(live, set())


def test_a_state_of_another_version_is_refused(states):
    _live, form = states[-1]
    for version in (None, STATE_VERSION - 1, STATE_VERSION + 1):
        old = {**form, "v": version}
        with pytest.raises(StateVersionError):
            SessionState.from_json(old)
