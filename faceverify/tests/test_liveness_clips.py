"""Each real clip's action is detected when asked, and not when another is asked.

The webcam man is enrolled from a frame of one recording (multi_action/
webcam_man_mouth_turn.mp4) and verified on clips cut from the other one, as a
pensioner enrolled from an older photo would be.
"""

from __future__ import annotations

import pytest

from faceverify import Challenge, EngineConfig

from .conftest import run_session

WEBCAM = {
    "head_turn/webcam_man_turn_left_right.mp4": {"turn_left", "turn_right"},
    "nod/webcam_man_nod_down_up.mp4": {"nod"},
    "mouth_open/webcam_man_open_mouth_twice.mp4": {"open_mouth"},
}
# Actions that, by SOURCES.md, do not happen in the clip (natural blinks and
# spontaneous head movement do happen in some clips and are not listed here).
ABSENT = {
    "head_turn/webcam_man_turn_left_right.mp4": {"open_mouth", "nod"},
    "nod/webcam_man_nod_down_up.mp4": {"open_mouth", "turn_left", "turn_right"},
    "mouth_open/webcam_man_open_mouth_twice.mp4": {"turn_left", "turn_right", "nod"},
    "blink/woman_repeated_blinks.mp4": {"open_mouth", "turn_left", "turn_right"},
    "blink/man_single_blink_greenscreen.mp4": {"turn_left", "turn_right", "nod"},
    "blink/talking_man_natural_blinks.mp4": {"open_mouth"},
}
BLINKS = [
    "blink/man_single_blink_greenscreen.mp4",
    "blink/woman_repeated_blinks.mp4",
    "blink/talking_man_natural_blinks.mp4",
]


@pytest.mark.parametrize(
    ("clip", "action"), [(c, a) for c, acts in WEBCAM.items() for a in sorted(acts)]
)
def test_webcam_man_passes_the_action_his_clip_shows(
    engine, clip_cache, webcam_ref, clip, action
):
    timed, _f, _fps = clip_cache(clip)
    verdict = run_session(engine, Challenge((action,)), [webcam_ref], timed)
    assert verdict.code == "passed", verdict.to_dict()
    assert verdict.distance is not None
    assert verdict.distance < EngineConfig().match_threshold


@pytest.mark.parametrize("clip", BLINKS)
def test_blink_is_detected_in_each_blink_clip(engine, clip_cache, clip):
    timed, frames, _fps = clip_cache(clip, 0, 240)
    # Enrol the person from the clip's own first frame (no separate photo exists).
    fa = engine.analyse_frame(frames[0])
    ref = engine.descriptor(frames[0], fa.box)
    verdict = run_session(engine, Challenge(("blink",)), [ref], timed)
    assert verdict.code == "passed", verdict.to_dict()


@pytest.mark.parametrize(
    ("clip", "action"), [(c, a) for c, acts in ABSENT.items() for a in sorted(acts)]
)
def test_action_absent_from_the_clip_is_not_detected(engine, clip_cache, clip, action):
    timed, frames, _fps = clip_cache(clip, 0, 240)
    fa = engine.analyse_frame(frames[0])
    ref = engine.descriptor(frames[0], fa.box)
    verdict = run_session(engine, Challenge((action,)), [ref], timed)
    assert action not in verdict.done_actions, verdict.to_dict()
    assert verdict.code == "liveness_failed", verdict.to_dict()


def test_two_actions_in_order_on_the_long_recording(engine, clip_cache, webcam_ref):
    # talk_turn_nod: turn image-left ~491-508 (= turn_right), image-right ~520-542
    # (= turn_left), nod down ~561-588. Frames 470-640 hold all three.
    timed, _f, _fps = clip_cache("multi_action/webcam_man_talk_turn_nod.mp4", 470, 640)
    verdict = run_session(
        engine, Challenge(("turn_right", "turn_left", "nod")), [webcam_ref], timed
    )
    assert verdict.code == "passed", verdict.to_dict()


def test_turn_directions_are_from_the_users_point_of_view(
    engine, clip_cache, webcam_ref
):
    # The first turn in the clip is to the image-left (the man's own right), the
    # second to the image-right. Asking for turn_left first must therefore skip
    # the first turn: it completes only at the second one.
    timed, _f, fps = clip_cache("head_turn/webcam_man_turn_left_right.mp4")
    first_half = [x for x in timed if x[0] < 45 / fps]
    v_left = run_session(engine, Challenge(("turn_left",)), [webcam_ref], first_half)
    v_right = run_session(engine, Challenge(("turn_right",)), [webcam_ref], first_half)
    assert v_left.code == "liveness_failed"
    assert v_right.code == "passed"


def test_webcam_man_against_someone_elses_enrolment_is_a_mismatch(
    engine, clip_cache, enrolled
):
    timed, _f, _fps = clip_cache("nod/webcam_man_nod_down_up.mp4")
    verdict = run_session(
        engine, Challenge(("nod",)), [enrolled["obama/obama.jpg"]], timed
    )
    assert verdict.code == "mismatch"


def test_reduced_frame_rate_still_detects_actions(engine, clip_cache, webcam_ref):
    # Browsers on weak phones send fewer frames: every 3rd frame (~8 fps).
    timed, _f, _fps = clip_cache("head_turn/webcam_man_turn_left_right.mp4")
    verdict = run_session(
        engine, Challenge(("turn_right", "turn_left")), [webcam_ref], timed[::3]
    )
    assert verdict.code == "passed", verdict.to_dict()
