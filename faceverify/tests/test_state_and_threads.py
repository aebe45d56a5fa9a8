"""The state is plain JSON after every frame; one engine serves several threads."""

from __future__ import annotations

import json
import threading

import pytest

from faceverify import Challenge, Verifier

PLAIN = (type(None), bool, int, float, str)


def _assert_plain(value, path="state"):
    if isinstance(value, dict):
        for k, v in value.items():
            assert type(k) is str, f"{path}: key {k!r}"
            _assert_plain(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _assert_plain(v, f"{path}[{i}]")
    else:
        assert type(value) in PLAIN, f"{path}: {type(value).__name__}"


@pytest.mark.parametrize(
    ("clip", "actions", "as_array"),
    [
        ("head_turn/webcam_man_turn_left_right.mp4", ("turn_right", "turn_left"), 0),
        ("nod/webcam_man_nod_down_up.mp4", ("nod", "open_mouth"), 1),
        ("blink/man_single_blink_greenscreen.mp4", ("blink", "turn_left"), 0),
    ],
)
def test_state_is_plain_json_after_every_frame(
    engine, clip_cache, webcam_ref, clip, actions, as_array
):
    timed, frames, _fps = clip_cache(clip)
    v = Verifier(engine, Challenge(actions), [webcam_ref])
    for (t, jpg), frame in zip(timed, frames, strict=True):
        p = v.feed(t, frame if as_array else jpg)
        state = v.state
        _assert_plain(state)
        blob = json.dumps(state, allow_nan=False)  # no default= hook
        assert json.loads(blob) == state
        json.dumps(p.to_dict(), allow_nan=False)
        if p.finished:
            break
    json.dumps(v.finish(timed[-1][0] + 0.04).to_dict(), allow_nan=False)
    _assert_plain(v.state)


SESSIONS = [
    ("head_turn/webcam_man_turn_left_right.mp4", ("turn_right", "turn_left")),
    ("nod/webcam_man_nod_down_up.mp4", ("nod",)),
    ("mouth_open/webcam_man_open_mouth_twice.mp4", ("open_mouth", "nod")),
]


def _session(engine, ref, timed, actions, start=None):
    if start is not None:
        start.wait()
    v = Verifier(engine, Challenge(actions), [ref])
    for t, jpg in timed:
        if v.feed(t, jpg).finished:
            break
    verdict = v.verdict or v.finish(timed[-1][0] + 0.04)
    return verdict.to_dict()


def test_one_engine_serves_concurrent_sessions_like_sequential_ones(
    engine, clip_cache, webcam_ref
):
    clips = [(clip_cache(rel)[0], acts) for rel, acts in SESSIONS]
    sequential = [_session(engine, webcam_ref, timed, a) for timed, a in clips]
    assert sequential[0]["code"] == "passed"
    assert sequential[1]["code"] == "passed"
    start = threading.Barrier(len(clips))
    results: list = [None] * len(clips)
    errors: list = []

    def worker(i: int) -> None:
        try:
            timed, acts = clips[i]
            results[i] = _session(engine, webcam_ref, timed, acts, start)
        except BaseException as exc:
            errors.append(exc)

    for _round in range(3):
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=300)
        assert not errors, errors
        assert results == sequential
