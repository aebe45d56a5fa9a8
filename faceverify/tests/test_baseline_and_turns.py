"""A session that starts mid-action still works; turns survive browser frames."""

from __future__ import annotations

import cv2
import pytest

from faceverify import Challenge, Verifier

from .conftest import run_session

HEAD_TURN = "head_turn/webcam_man_turn_left_right.mp4"


TALK_TURN_NOD = "multi_action/webcam_man_talk_turn_nod.mp4"


@pytest.mark.parametrize("step", [1])  # 25 fps
def test_session_starting_mid_turn_passes_later_actions(
    engine, clip_cache, webcam_ref, step
):
    # Starts at frame 498, inside the turn to image-left (~491-508), which is
    # followed at once by the turn to image-right (~520-542): the first still,
    # frontal moment is ~544. The nod (~561-623) and the later turn to
    # image-right (~696-717, the man's own left) are asked for. Taking the
    # baseline from the session's first second (mid-turn) failed this session.
    timed, _f, _fps = clip_cache(TALK_TURN_NOD, 498, 760)
    verdict = run_session(
        engine, Challenge(("nod", "turn_left")), [webcam_ref], timed[::step]
    )
    assert verdict.code == "passed", verdict.to_dict()


def test_no_baseline_while_turned_and_coached_to_face_the_camera(
    engine, clip_cache, webcam_ref
):
    # Frames ~27-36 of the head-turn clip hold a still turn to image-left.
    timed, _f, _fps = clip_cache(HEAD_TURN, 27, 37)
    v = Verifier(engine, Challenge(("turn_right", "nod")), [webcam_ref])
    for t, jpg in timed:
        p = v.feed(t, jpg)
    assert v.state["baseline"] is None
    assert p.coaching == "请正对摄像头"
    assert not p.face_ok
    assert not p.finished


def _browser(frames, fps):
    """Like the web page: 480x360 canvas, JPEG quality 0.7."""
    out = []
    for i, f in enumerate(frames):
        small = cv2.resize(f, (480, 360), interpolation=cv2.INTER_AREA)
        ok, jpg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 70])
        assert ok
        out.append((i / fps, jpg.tobytes()))
    return out


@pytest.mark.parametrize("step", [3, 2, 1])  # ~8, 12.5 and 25 fps
def test_head_turns_pass_on_browser_reencoded_frames(
    engine, clip_cache, webcam_ref, step
):
    # The clip turns to image-left (the man's own right) first, then to image-right
    # (his own left): turn_right then turn_left from the user's point of view.
    _t, frames, fps = clip_cache(HEAD_TURN)
    timed = _browser(frames, fps)[::step]
    verdict = run_session(
        engine, Challenge(("turn_right", "turn_left")), [webcam_ref], timed
    )
    assert verdict.code == "passed", verdict.to_dict()
    wrong = run_session(
        engine, Challenge(("turn_left", "turn_right")), [webcam_ref], timed
    )
    assert wrong.code == "liveness_failed", wrong.to_dict()


def _baseline_of(engine, challenge, refs, timed):
    """Feed until the baseline is taken (or the clip ends); return the verifier."""
    v = Verifier(engine, challenge, refs)
    for t, jpg in timed:
        v.feed(t, jpg)
        if v.state["baseline"] is not None:
            break
    return v


def test_mouth_opening_in_the_baseline_window_at_8fps(engine, clip_cache, webcam_ref):
    # The session starts as the mouth begins to open (mouth ratio 0.03 -> 0.11 ->
    # 0.26 over the first three frames at ~8 fps). The short still window must not
    # take a half-open mouth as the closed reference: with it the planar check
    # compared the open mouth with a half-open "neutral" frame and found it planar
    # (bench: genuine rejection of this run).
    timed, _f, _fps = clip_cache("multi_action/webcam_man_mouth_turn.mp4", 380, 600)
    challenge = Challenge(("open_mouth", "turn_left"))
    v = _baseline_of(engine, challenge, [webcam_ref], timed[::3])
    assert v.state["baseline"]["mar"] < 0.05, v.state["baseline"]
    verdict = run_session(engine, challenge, [webcam_ref], timed[::3])
    assert verdict.code == "passed", verdict.to_dict()


@pytest.mark.parametrize("step", [2, 1])
def test_frequent_blinker_smiling_during_the_window_blinks(engine, clip_cache, step):
    # The woman blinks often and her pose estimate flips in pitch, so the first
    # still window comes while she holds a half-open smile (mouth ratio ~0.19).
    # The closed-mouth and open-eye references come from the last second, not
    # from that window only: her later blinks (mouth closed) must count.
    timed, frames, _fps = clip_cache("blink/woman_repeated_blinks.mp4", 0, 240)
    fa = engine.analyse_frame(frames[0])
    ref = engine.descriptor(frames[0], fa.box)
    v = _baseline_of(engine, Challenge(("blink",)), [ref], timed[::step])
    assert v.state["baseline"]["mar"] < 0.05, v.state["baseline"]
    verdict = run_session(engine, Challenge(("blink",)), [ref], timed[::step])
    assert verdict.code == "passed", verdict.to_dict()
