"""Fair verdicts and a forgiving start.

A face too dark, blurred or small to be matched reliably is never called
another person's (``poor_capture``, not ``mismatch``), while impostors stay
refused at every light level; "相貌能对上" is said only of a face compared and
matched; a head tilted up or down when the baseline is taken can still nod;
eyes reopening after a blink are no baseline. The light levels are those of
``bench/bench_light.py`` (x factor, Gaussian sensor noise sigma 5, fixed seed).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceverify import NOT_COUNTED, VERDICT_CODES, Challenge, EngineConfig, Verifier
from faceverify.baseline import baseline_step
from faceverify.geometry import focus
from faceverify.identity import poor_capture
from faceverify.media import encode_jpeg
from faceverify.results import VERDICT_MESSAGES, verdict_message
from faceverify.state import SessionState

from .conftest import run_session

LEVELS = (1.0, 0.5, 0.3, 0.22, 0.15, 0.1)
MOUTH = "mouth_open/webcam_man_open_mouth_twice.mp4"
NOD = "nod/webcam_man_nod_down_up.mp4"


def darken(frames, factor, seed=11, blur=0.0):
    rng = np.random.default_rng(seed)
    fps = 25.0
    out = []
    for i, f in enumerate(frames):
        if blur:
            f = cv2.GaussianBlur(f, (0, 0), blur)
        dark = f.astype(np.float32) * factor + rng.normal(0, 5, f.shape)
        out.append((i / fps, encode_jpeg(np.clip(dark, 0, 255).astype(np.uint8))))
    return out


# -- the verdict table ---------------------------------------------------------


def test_the_new_codes_have_their_sentences():
    assert "poor_capture" in VERDICT_CODES
    assert "actions_failed" in VERDICT_CODES
    assert set(VERDICT_MESSAGES) == set(VERDICT_CODES)
    poor = verdict_message("poor_capture")
    assert poor.startswith("光线太暗/画面模糊/离得太远")
    assert "计入" not in poor  # counting is the web layer's to say
    assert "不匹配" not in poor
    assert "相貌能对上" not in verdict_message("actions_failed")
    assert {"poor_capture"} == NOT_COUNTED


def test_a_session_is_poor_capture_when_half_its_descriptors_are():
    s = SessionState()
    s.identity.descs = [[0.0] * 128] * 3
    s.identity.poor = ["", "dark", ""]
    assert poor_capture(s) is None
    s.identity.poor = ["dark", "dark", ""]
    assert poor_capture(s) == "dark"
    s.identity.poor = []  # a state saved before the judgement: reliable
    assert poor_capture(s) is None


# -- dim light: genuine and impostors --------------------------------------------


@pytest.mark.model
@pytest.mark.parametrize("factor", LEVELS)
def test_a_dimmed_genuine_session_is_never_told_mismatch(
    engine, clip_cache, webcam_ref, factor
):
    _timed, frames, _fps = clip_cache(MOUTH)
    verdict = run_session(
        engine, Challenge(("open_mouth",)), [webcam_ref], darken(frames, factor)
    )
    assert verdict.code != "mismatch", verdict.to_dict()
    if factor >= 0.5:
        assert verdict.code == "passed", verdict.to_dict()
    elif factor >= 0.15:
        # Still found and measured: it passes or is coached, not judged.
        assert verdict.code in ("passed", "poor_capture"), verdict.to_dict()
    if verdict.code == "liveness_failed":
        assert verdict.distance is not None
        assert verdict.distance <= engine.config.match_threshold


@pytest.mark.model
@pytest.mark.parametrize("factor", LEVELS)
def test_an_impostor_is_refused_at_every_light_level(
    engine, clip_cache, enrolled, webcam_ref, factor
):
    # The webcam man in front of the camera, someone else's photo enrolled.
    _timed, frames, _fps = clip_cache(MOUTH)
    other = enrolled["obama/obama.jpg"]
    v = run_session(engine, Challenge(("open_mouth",)), [other], darken(frames, factor))
    assert v.code != "passed", v.to_dict()
    if factor >= 0.5:
        assert v.code == "mismatch", v.to_dict()
    # Another person in front of the camera, the webcam man enrolled.
    _timed, frames, _fps = clip_cache("blink/woman_repeated_blinks.mp4", 0, 150)
    w = run_session(engine, Challenge(("blink",)), [webcam_ref], darken(frames, factor))
    assert w.code != "passed", w.to_dict()
    for verdict in (v, w):
        assert verdict.code not in ("passed", "liveness_failed"), verdict.to_dict()


@pytest.mark.model
@pytest.mark.parametrize("sigma", [2.0, 4.0, 6.0])
def test_an_out_of_focus_genuine_session_is_never_told_mismatch(
    engine, clip_cache, webcam_ref, enrolled, sigma
):
    """Sensor noise on top of the blur (as a cheap webcam gives) must not make
    a blurred face read as sharp: the Laplacian variance did, and a genuine
    face out of focus (sigma 4: distances up to 0.65) was called 不匹配."""
    _timed, frames, _fps = clip_cache(MOUTH)
    blurred = darken(frames, 1.0, blur=sigma)
    verdict = run_session(engine, Challenge(("open_mouth",)), [webcam_ref], blurred)
    assert verdict.code not in ("mismatch", "liveness_failed"), verdict.to_dict()
    if sigma <= 4.0:  # the face is measured: it matches or is coached
        assert verdict.code in ("passed", "poor_capture"), verdict.to_dict()
    if sigma <= 2.0:  # a little soft: still judged, and it matches
        assert verdict.code == "passed", verdict.to_dict()
    # Someone else's photo enrolled: never a pass, however soft the picture.
    other = enrolled["obama/obama.jpg"]
    v = run_session(engine, Challenge(("open_mouth",)), [other], blurred)
    assert v.code not in ("passed", "liveness_failed"), v.to_dict()


def _focus(engine, timed):
    out = []
    for _t, jpg in timed:
        fa = engine.analyse_frame(jpg)
        if fa.landmarks is not None:
            out.append(focus(engine.decode_frame(jpg), fa.landmarks))
    return out


@pytest.mark.model
@pytest.mark.parametrize(
    "clip",
    [
        MOUTH,
        "blink/woman_repeated_blinks.mp4",
        "blink/talking_man_natural_blinks.mp4",
        "talking/talking_head_1.mp4",
        "talking/talking_head_2.mp4",
    ],
)
def test_a_plain_webcam_picture_is_in_focus_at_any_size(engine, clip_cache, clip):
    """Everyone of the clips, with sensor noise, at 640x480 and at 320x240."""
    _timed, frames, _fps = clip_cache(clip, 0, 240)
    sample = frames[::30]
    small = [
        cv2.resize(f, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        for f in sample
    ]
    measured = _focus(engine, darken(sample, 1.0)) + _focus(engine, darken(small, 1.0))
    assert len(measured) >= 8, measured
    assert min(measured) >= engine.config.reliable_focus, measured


@pytest.mark.model
def test_a_face_blurred_past_a_reliable_match_is_out_of_focus(engine, clip_cache):
    """Sigma 4 on the webcam man gives genuine distances up to 0.65 (bench_light)."""
    _timed, frames, _fps = clip_cache(MOUTH)
    sample = frames[::15]
    soft = _focus(engine, darken(sample, 1.0, blur=4.0))
    assert len(soft) >= 4, soft
    assert max(soft) < engine.config.reliable_focus, soft
    # Noise alone (a dim room) does not make a sharp face read as soft, nor a
    # blurred one as sharp.
    assert min(_focus(engine, darken(sample, 0.5))) >= engine.config.reliable_focus


@pytest.mark.model
def test_liveness_failed_says_the_face_matched_only_when_it_did(
    engine, clip_cache, webcam_ref
):
    timed, _frames, _fps = clip_cache(MOUTH)
    # The face matches, the asked turn is not in the clip.
    v = run_session(engine, Challenge(("turn_right",)), [webcam_ref], timed)
    assert v.code == "liveness_failed", v.to_dict()
    assert v.distance is not None
    assert v.distance <= engine.config.match_threshold
    # Stopped before any face was compared: nothing is said of the face.
    few = run_session(engine, Challenge(("turn_right",)), [webcam_ref], timed[:2])
    assert few.code == "actions_failed", few.to_dict()
    assert few.distance is None
    assert "相貌能对上" not in few.message


# -- a forgiving start -------------------------------------------------------------


@pytest.mark.model
def test_a_baseline_taken_with_the_head_held_up_still_allows_a_nod(
    engine, clip_cache, webcam_ref
):
    # The nod clip's pitch: ~-30 at rest, ~+3 with the head down (frames
    # 24-39), ~-46 up (60-75). Started at frame 63 and going on from the clip's
    # own beginning (the same resting pose at both ends): the baseline is taken
    # with the head up, he is asked to nod while relaxing to his rest (16 deg
    # below), rests, then nods down from there and comes back to his rest.
    # Measured from the tilted baseline he would never be neutral again and
    # the nod never begin (the issue: "started 2.5 s late, the nod timed out").
    _timed, frames, fps = clip_cache(NOD)
    order = list(frames[63:]) + list(frames[:63])
    v = Verifier(
        engine,
        Challenge(("nod",), holds=(0.5,), reaction_seconds=3.5),
        [webcam_ref],
    )
    for i, f in enumerate(order):
        if v.feed(i / fps, encode_jpeg(f)).finished:
            break
    verdict = v.verdict or v.finish(len(order) / fps)
    assert verdict.code == "passed", verdict.to_dict()
    assert v.s.baseline is not None
    assert v.s.baseline.pitch < -40  # the baseline was taken with the head up


def _row(t, ear):
    return [t, ear, 0.05, 0.0, 0.0, 0.0]


def test_no_baseline_while_the_eyes_reopen_after_a_blink():
    cfg = EngineConfig()
    s = SessionState()
    t = 0.0
    for _ in range(10):  # eyes open throughout: a baseline within 0.3 s
        if baseline_step(cfg, s, _row(t, 0.30)):
            break
        t += 0.04
    assert s.baseline is not None
    assert t <= 0.3
    s = SessionState()
    t = 0.0
    for ear in [0.30] * 5 + [0.12, 0.10, 0.15]:  # open, then a blink
        baseline_step(cfg, s, _row(t, ear))
        t += 0.04
    assert s.baseline is None
    # Steady but still reopening (0.25 of 0.30): no baseline.
    for _ in range(8):
        assert not baseline_step(cfg, s, _row(t, 0.25)), s.pending
        t += 0.04
    # Fully open again: the baseline, with the open level.
    took = False
    for _ in range(10):
        took = baseline_step(cfg, s, _row(t, 0.30))
        t += 0.04
        if took:
            break
    assert took
    assert s.baseline is not None
    assert s.baseline.ear >= 0.29
