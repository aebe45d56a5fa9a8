"""Challenges, progress, expiry, verdict paths and state hand-over between workers."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceverify import (
    ACTION_LABELS,
    ACTIONS,
    Challenge,
    EngineConfig,
    Verifier,
    load_engine,
)

from .conftest import REPO, run_session


@given(st.integers(min_value=0, max_value=10_000))
@settings(max_examples=200, deadline=None)
def test_random_challenge_has_two_or_three_distinct_actions(seed):
    c = Challenge.random(random.Random(seed))
    assert 2 <= len(c.actions) <= 3
    assert len(set(c.actions)) == len(c.actions)
    assert set(c.actions) <= set(ACTIONS)
    assert Challenge.from_dict(json.loads(json.dumps(c.to_dict()))) == c


def test_default_random_challenge_uses_the_system_rng():
    seen = {Challenge.random().actions for _ in range(50)}
    assert len(seen) > 5


def test_labels_are_chinese_prompts():
    assert set(ACTION_LABELS) == set(ACTIONS)
    assert ACTION_LABELS["turn_left"] == "请向左转头"


def test_challenge_rejects_unknown_or_repeated_actions():
    with pytest.raises(ValueError):
        Challenge(("blink", "blink"))
    with pytest.raises(ValueError):
        Challenge(("wink",))


def test_load_engine_is_cached_per_config():
    assert load_engine() is load_engine(EngineConfig())
    assert load_engine(EngineConfig(match_threshold=0.5)) is not load_engine()


def test_state_is_json_and_another_worker_continues_identically(
    engine, clip_cache, webcam_ref
):
    timed, _f, _fps = clip_cache("head_turn/webcam_man_turn_left_right.mp4")
    ch = Challenge(("turn_right", "turn_left"))
    whole = Verifier(engine, ch, [webcam_ref])
    for t, b in timed:
        if whole.feed(t, b).finished:
            break
    # The same session in batches of 7 frames, the state going through JSON.
    state = None
    progress = None
    for i in range(0, len(timed), 7):
        v = Verifier(engine, ch, [webcam_ref], state=state)
        for t, b in timed[i : i + 7]:
            progress = v.feed(t, b)
            if progress.finished:
                break
        blob = json.dumps(v.state)
        assert len(blob) < 60_000
        state = json.loads(blob)
        if progress.finished:
            break
    assert progress is not None
    assert progress.finished
    assert progress.verdict.to_dict() == whole.verdict.to_dict()
    assert whole.verdict.code == "passed"


def test_progress_reports_prompt_and_coaching(engine, clip_cache, webcam_ref):
    timed, _f, _fps = clip_cache("nod/webcam_man_nod_down_up.mp4")
    v = Verifier(engine, Challenge(("nod", "blink")), [webcam_ref])
    p = v.feed(*timed[0]).to_dict()
    # No action is asked for before the still, frontal baseline.
    assert p["phase"] == "settle"
    assert p["current_action"] is None
    assert p["prompt"] == "请正对摄像头，保持不动"
    assert p["steps"] == 2
    assert p["done_actions"] == []
    assert not p["finished"]
    assert p["face_ok"] is True
    assert p["coaching"] is None
    for t, b in timed[1:]:
        p = v.feed(t, b).to_dict()
        if p["phase"] == "act":
            break
    assert p["current_action"] == "nod"
    assert p["prompt"] == "请点点头"
    assert p["action_index"] == 0
    for t, b in timed[1:]:
        p = v.feed(t, b).to_dict()
    assert p["done_actions"] == ["nod"]
    assert p["current_action"] == "blink"
    assert p["prompt"] == "请眨眨眼"


def test_no_face_frames_coach_and_end_in_no_face(engine):
    blank = np.full((480, 640, 3), 90, np.uint8)
    v = Verifier(
        engine, Challenge(("blink", "nod"), per_action_seconds=3.0), [[0.0] * 128]
    )
    p = None
    for i in range(40):
        p = v.feed(i * 0.1, blank)
        if p.finished:
            break
    assert p.finished
    assert p.verdict.code == "no_face"


def test_dark_and_small_faces_get_coaching(engine, shared):
    import cv2

    img = cv2.imread(str(shared / "faces/obama/obama-480p.jpg"))
    v = Verifier(engine, Challenge(("blink", "nod")), [[0.0] * 128])
    # Almost black: more light is what helps, not turning to the camera.
    dark = (img * 0.05).astype(np.uint8)
    p = v.feed(0.0, dark).to_dict()
    assert p["coaching"] == "光线太暗，请到明亮的地方"
    # A dim room is brightened for the analysis: the face is found and measured.
    v1 = Verifier(engine, Challenge(("blink", "nod")), [[0.0] * 128])
    p1 = v1.feed(0.0, (img * 0.2).astype(np.uint8)).to_dict()
    assert p1["coaching"] not in (
        "光线太暗，请到明亮的地方",
        "未检测到人脸，请正对摄像头",
    )
    small = cv2.resize(img, None, fx=0.35, fy=0.35)
    canvas = np.full((480, 640, 3), 120, np.uint8)
    canvas[: small.shape[0], : small.shape[1]] = small
    v2 = Verifier(engine, Challenge(("blink", "nod")), [[0.0] * 128])
    p2 = v2.feed(0.0, canvas).to_dict()
    assert p2["coaching"] in ("请靠近一些", "未检测到人脸，请正对摄像头")


def test_two_people_in_the_frame_end_in_multiple_faces(engine, shared):
    two = (shared / "faces/_group/two_people.jpg").read_bytes()
    v = Verifier(engine, Challenge(("blink", "nod")), [[0.0] * 128])
    p = None
    for i in range(60):
        p = v.feed(i * 0.1, engine_frame(two))
        if p.finished:
            break
    assert p.finished
    assert p.verdict.code == "multiple_faces"
    assert p.verdict.message.startswith("认证失败")


def engine_frame(data: bytes) -> np.ndarray:
    import cv2

    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return cv2.resize(img, (640, int(640 * img.shape[0] / img.shape[1])))


def test_session_expiry(engine, clip_cache, webcam_ref):
    timed, _f, _fps = clip_cache("nod/webcam_man_nod_down_up.mp4")
    ch = Challenge(("nod", "blink"), per_action_seconds=8.0, session_seconds=2.0)
    v = Verifier(engine, ch, [webcam_ref])
    for t, b in timed:
        p = v.feed(t, b)
        if p.finished:
            break
    assert v.verdict.code in ("expired", "liveness_failed")
    assert v.finish(5.0).code == v.verdict.code
    v2 = Verifier(engine, ch, [webcam_ref])
    v2.feed(*timed[0])
    assert v2.finish(3.0).code == "expired"


def test_genuine_session_with_two_references(engine, clip_cache, webcam_ref, enrolled):
    timed, _f, _fps = clip_cache("mouth_open/webcam_man_open_mouth_twice.mp4")
    verdict = run_session(
        engine,
        Challenge(("open_mouth",)),
        [enrolled["obama/obama.jpg"], webcam_ref],
        timed,
    )
    assert verdict.code == "passed"


def test_faceverify_imports_without_django():
    code = (
        "import sys, faceverify; import faceverify.cli, faceverify.verifier;"
        "assert 'django' not in sys.modules, 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_cli_verify_prints_the_verdict_as_json(shared):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "faceverify",
            "verify",
            "--enrol",
            str(shared / "faces/obama/obama.jpg"),
            "--actions",
            "nod",
            str(shared / "media/nod/webcam_man_nod_down_up.mp4"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    verdict = json.loads(out.stdout.strip().splitlines()[-1])
    assert verdict["code"] == "mismatch"
    en = subprocess.run(
        [
            sys.executable,
            "-m",
            "faceverify",
            "enrol",
            str(shared / "faces/obama/obama.jpg"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert json.loads(en.stdout)["dims"] == 128
