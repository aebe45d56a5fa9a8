"""The fake people of faceverify.actors: real segments, measured by the engine.

Each performer's neutral frames are a still, frontal face with open eyes; each
action segment goes from neutral through its movement (the right way) and back;
a Responder acts after its reaction delay, recordings ignore the prompts.
"""

from __future__ import annotations

import random
import statistics

import cv2
import numpy as np
import pytest

from faceverify import Challenge, Verifier, actors
from faceverify import geometry as geo

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def performers(shared):
    return {c.name: actors.performer(c, shared) for c in actors.CASTS.values()}


@pytest.fixture(scope="module")
def measure(engine):
    cache: dict[bytes, tuple[float, float, float, float, float]] = {}

    def get(jpeg: bytes) -> tuple[float, float, float, float, float]:
        """(yaw, pitch, eye ratio, mouth ratio, nose offset) of one frame."""
        if jpeg not in cache:
            fa = engine.analyse_frame(jpeg)
            assert fa.has_face, "no face in a performer's frame"
            off = geo.yaw_offset(fa.landmarks)
            cache[jpeg] = (fa.yaw, fa.pitch, fa.ear, fa.mar, off)
        return cache[jpeg]

    return get


def _neutral(performer, measure):
    rows = [measure(f) for f in performer.neutral.frames]
    return [statistics.median(col) for col in zip(*rows, strict=True)]


def test_frames_are_what_the_browser_sends(performers):
    for p in performers.values():
        for footage in (p.neutral, *p.actions.values()):
            assert footage.fps >= 24
            for jpeg in (footage.frames[0], footage.frames[-1]):
                image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
                assert image.shape[1] == actors.WIDTH
                assert len(jpeg) < 60_000
    assert set(performers["webcam_man"].actions) == {
        "turn_right",
        "turn_left",
        "nod",
        "open_mouth",
    }
    assert set(performers["woman_blinks"].actions) == {"blink"}
    assert set(performers["talking_man_blinks"].actions) == {"blink"}


def test_performers_are_built_once_per_process(shared):
    assert actors.webcam_man(shared) is actors.webcam_man(shared)


def test_every_neutral_frame_is_a_still_frontal_face_with_open_eyes(
    performers, measure
):
    for p in performers.values():
        rows = [measure(f) for f in p.neutral.frames]
        yaw, pitch, ear, mar, _ = (list(col) for col in zip(*rows, strict=True))
        assert max(yaw) - min(yaw) <= 4.0, p.name
        assert max(pitch) - min(pitch) <= 5.0, p.name
        assert abs(statistics.median(yaw)) <= 12.0, p.name
        assert min(ear) >= 0.25, p.name
        assert max(mar) <= 0.1, p.name


@pytest.mark.parametrize(
    ("name", "action"),
    [
        ("webcam_man", "turn_right"),
        ("webcam_man", "turn_left"),
        ("webcam_man", "nod"),
        ("webcam_man", "open_mouth"),
        ("woman_blinks", "blink"),
        ("talking_man_blinks", "blink"),
    ],
)
def test_each_action_segment_goes_from_neutral_through_the_movement_and_back(
    performers, measure, name, action
):
    p = performers[name]
    yaw0, pitch0, ear0, mar0, off0 = _neutral(p, measure)
    rows = [measure(f) for f in p.actions[action].frames]
    yaw, pitch, ear, mar, off = (list(col) for col in zip(*rows, strict=True))
    # (how far the movement goes, how far from neutral the first and last
    # frames may be) on the measure that decides the action.
    if action == "turn_right":  # own right: the nose to the image left
        value, reach, rest = [y - yaw0 for y in yaw], -12.0, 4.0
        assert min(o - off0 for o in off) <= -0.18
    elif action == "turn_left":
        value, reach, rest = [y - yaw0 for y in yaw], 12.0, 4.0
        assert max(o - off0 for o in off) >= 0.18
    elif action == "nod":  # positive pitch is the head down
        value, reach, rest = [x - pitch0 for x in pitch], 25.0, 4.0
    elif action == "open_mouth":
        value, reach, rest = [m - mar0 for m in mar], 0.4, 0.05
    else:
        value, reach, rest = [e / ear0 - 1.0 for e in ear], -0.5, 0.12
    extreme = min(value) if reach < 0 else max(value)
    assert extreme / reach >= 1.0, (name, action, extreme)
    assert abs(value[0]) <= rest, (name, action, value[0])
    assert abs(value[-1]) <= rest, (name, action, value[-1])


def _webcam_stand_in() -> actors.Performer:
    """A performer whose frames name themselves (timing tests, no decoding)."""
    neutral = actors.Footage(tuple(b"n%d" % i for i in range(5)), 25.0)
    turn = actors.Footage(tuple(b"t%d" % i for i in range(25)), 25.0)  # 1 s
    return actors.Performer("stand_in", neutral, {"turn_right": turn}, b"photo")


def test_neutral_frames_play_back_and_forth():
    r = actors.Responder(_webcam_stand_in())
    shown = [r.frame(k / 25.0) for k in range(10)]
    assert b" ".join(shown) == b"n0 n1 n2 n3 n4 n3 n2 n1 n0 n1"


def test_the_responder_acts_after_its_reaction_delay():
    r = actors.Responder(_webcam_stand_in(), reaction_seconds=0.8)
    r.prompted(None, 0.5)
    r.prompted("turn_right", 2.0)
    assert [(p.start, p.action) for p in r.plays] == [(2.8, "turn_right")]
    assert r.frame(2.79).startswith(b"n")
    assert r.frame(2.8) == b"t0"
    assert r.frame(3.3) == b"t12"
    assert r.frame(3.81).startswith(b"n")  # the 1 s segment is over
    # The same prompt in the next responses is not a new prompt.
    r.prompted("turn_right", 2.2)
    r.prompted("turn_right", 3.9)
    assert len(r.plays) == 1


def test_the_slow_responder_waits_two_seconds():
    r = actors.slow_responder(_webcam_stand_in())
    r.prompted("turn_right", 1.0)
    assert r.plays[0].start == pytest.approx(3.0)


def test_a_prompt_still_shown_after_the_movement_is_acted_again():
    r = actors.Responder(_webcam_stand_in(), reaction_seconds=0.5, retry_seconds=2.0)
    r.prompted("turn_right", 0.0)  # acted 0.5-1.5
    r.prompted("turn_right", 3.0)
    r.prompted("turn_right", 3.6)  # 2.1 s after: again, at once
    assert [p.start for p in r.plays] == [0.5, 3.6]


def test_an_action_the_person_cannot_do_leaves_the_face_neutral():
    r = actors.Responder(_webcam_stand_in())
    r.prompted("blink", 1.0)
    assert r.plays == []
    assert r.frame(2.0).startswith(b"n")


def test_a_new_prompt_during_a_movement_waits_for_its_end():
    p = _webcam_stand_in()
    p.actions["nod"] = actors.Footage((b"d0",), 25.0)
    r = actors.Responder(p, reaction_seconds=0.5)
    r.prompted("turn_right", 0.0)  # 0.5-1.5
    r.prompted("nod", 0.6)
    assert [(x.start, x.action) for x in r.plays] == [
        (0.5, "turn_right"),
        (1.5, "nod"),
    ]


def test_jitter_is_drawn_from_the_given_generator():
    a = actors.Responder(_webcam_stand_in(), jitter_seconds=1.0, rng=random.Random(7))
    b = actors.Responder(_webcam_stand_in(), jitter_seconds=1.0, rng=random.Random(7))
    a.prompted("turn_right", 0.0)
    b.prompted("turn_right", 0.0)
    assert a.plays[0].start == b.plays[0].start
    assert 0.8 <= a.plays[0].start <= 1.8


def test_recordings_do_not_listen_to_prompts():
    p = _webcam_stand_in()
    rec = actors.Recording.scripted(p, [(1.0, "turn_right")], seconds=3.0, start=5.0)
    rec.prompted("turn_right", 0.0)
    assert len(rec.footage.frames) == 75
    assert rec.frame(5.0 + 1.0) == b"t0"
    assert rec.frame(5.0 + 0.96).startswith(b"n")
    assert rec.frame(100.0) == rec.footage.frames[-1]
    loop = actors.Recording(rec.footage, start=5.0, loop=True)
    assert loop.frame(5.0 + 3.0 + 1.0) == b"t0"


def test_a_retimed_recording_plays_at_the_offsets_seen_before():
    seen = [(1.2, "turn_right"), (4.0, "nod")]  # nod: not in this performer
    rec = actors.RetimedRecording(
        _webcam_stand_in(), seen, start=10.0, reaction_seconds=0.8
    )
    rec.prompted("turn_left", 10.5)  # ignored
    assert [(p.start, p.action) for p in rec.plays] == [(12.0, "turn_right")]
    assert rec.frame(12.0) == b"t0"


@pytest.mark.parametrize(
    ("name", "challenge", "make"),
    [
        ("webcam_man", ("turn_right", "nod"), actors.Responder),
        ("webcam_man", ("open_mouth", "turn_left"), actors.Responder),
        ("webcam_man", ("nod", "turn_left", "turn_right"), actors.slow_responder),
        ("woman_blinks", ("blink",), actors.Responder),
        ("talking_man_blinks", ("blink",), actors.Responder),
    ],
)
def test_a_genuine_responder_passes_at_the_browsers_pace(
    engine, performers, name, challenge, make
):
    """Frames at 8 a second, each response's action told to the person, as
    camera.js and the fake camera do; enrolled from the person's own frame."""
    p = performers[name]
    person = make(p)
    v = Verifier(engine, Challenge(challenge), [engine.enrol(p.enrolment).descriptor])
    t = 0.0
    while t < 60.0:
        progress = v.feed(t, person.frame(t))
        person.prompted(progress.current_action, t)
        if progress.finished:
            break
        t += 0.125
    verdict = v.verdict or v.finish(t)
    assert verdict.code == "passed", (
        verdict,
        [(x.start, x.action) for x in person.plays],
    )
