"""Dim rooms: a webcam picture at a fifth of its light, with sensor noise.

The real clips are darkened (x0.22, Gaussian noise sigma 5, fixed seed): the
webcam man's face then averages about 30 grey levels, where the detector and
the landmarks lose him unless the frame is brightened for the analysis.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceverify import Challenge, Verifier
from faceverify.media import encode_jpeg, still_motion

from .conftest import run_session

pytestmark = pytest.mark.model


def dim(frame: np.ndarray, rng: np.random.Generator) -> bytes:
    dark = frame.astype(np.float32) * 0.22 + rng.normal(0, 5, frame.shape)
    return encode_jpeg(np.clip(dark, 0, 255).astype(np.uint8))


@pytest.mark.parametrize(
    ("clip", "action"),
    [
        ("nod/webcam_man_nod_down_up.mp4", "nod"),
        ("mouth_open/webcam_man_open_mouth_twice.mp4", "open_mouth"),
        ("head_turn/webcam_man_turn_left_right.mp4", "turn_left"),
    ],
)
def test_a_genuine_session_in_a_dim_room_passes(
    engine, clip_cache, webcam_ref, clip, action
):
    _timed, frames, fps = clip_cache(clip)
    rng = np.random.default_rng(7)
    timed = [(i / fps, dim(f, rng)) for i, f in enumerate(frames)]
    verdict = run_session(engine, Challenge((action,)), [webcam_ref], timed)
    assert verdict.code == "passed", verdict.to_dict()


@pytest.mark.parametrize("kind", ["static", "pan", "tilt"])
def test_a_still_photo_in_a_dim_room_still_cannot_pass(engine, shared, kind):
    img = cv2.imread(str(shared / "faces/obama/obama.jpg"))
    rng = np.random.default_rng(3)
    frames = still_motion(img, kind, seconds=5.0, fps=10.0)
    timed = [(i / 10.0, dim(f, rng)) for i, f in enumerate(frames)]
    # Worst case: the attacker holds the very photo that was enrolled.
    fa = engine.analyse_frame(frames[0])
    assert fa.box is not None
    ref = engine.descriptor(frames[0], fa.box)
    for actions in (("blink", "turn_left"), ("open_mouth", "nod")):
        verdict = run_session(engine, Challenge(actions), [ref], timed)
        assert verdict.code in (
            "liveness_failed",
            "actions_failed",
            "no_face",
            "poor_capture",
        ), verdict.to_dict()


def test_a_very_dark_picture_gets_the_advice_while_the_session_goes_on(
    engine, clip_cache, webcam_ref
):
    _timed, frames, _fps = clip_cache("nod/webcam_man_nod_down_up.mp4", 0, 3)
    rng = np.random.default_rng(1)
    darker = (frames[0] * 0.13).astype(np.uint8)  # mean grey ~18
    v = Verifier(engine, Challenge(("nod",)), [webcam_ref])
    p = v.feed(0.0, encode_jpeg(darker)).to_dict()
    assert p["coaching"] == "光线太暗，请到明亮的地方"
    assert p["face_ok"] is True  # found on the brightened frame: not blocked
    dim_only = Verifier(engine, Challenge(("nod",)), [webcam_ref])
    p = dim_only.feed(0.0, dim(frames[0], rng)).to_dict()  # x0.22, mean ~31
    assert p["coaching"] != "光线太暗，请到明亮的地方"
