"""The seam to the face engine: settings in, plain JSON out."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lifecert.certification import face

ROOT = Path(__file__).resolve().parents[3]


def test_engine_config_reads_the_face_settings(settings):
    settings.FACE_MATCH_THRESHOLD = 0.5
    settings.FACE_PER_ACTION_SECONDS = 6.0
    settings.FACE_MAX_FRAME_BYTES = 1234
    config = face.engine_config()
    assert config.match_threshold == 0.5
    assert config.per_action_seconds == 6.0
    assert config.max_frame_bytes == 1234


def test_zero_threshold_keeps_the_engines_default(settings):
    settings.FACE_MATCH_THRESHOLD = 0.0
    settings.FACE_PER_ACTION_SECONDS = 8.0
    settings.FACE_SESSION_SECONDS = 120.0
    default = type(face.engine_config())().match_threshold
    assert face.engine_config().match_threshold == default


def test_production_challenge_is_random_two_or_three_actions(settings):
    settings.FACE_FIXED_CHALLENGE = []
    drawn = [tuple(face.new_challenge()["actions"]) for _ in range(40)]
    assert {len(actions) for actions in drawn} <= {2, 3}
    assert len(set(drawn)) > 5
    assert all(set(actions) <= set(face.ACTIONS) for actions in drawn)


def test_tests_may_fix_the_challenge(settings):
    settings.FACE_FIXED_CHALLENGE = ["nod", "blink"]
    settings.FACE_PER_ACTION_SECONDS = 7.0
    challenge = face.new_challenge()
    assert challenge["actions"] == ["nod", "blink"]
    assert challenge["per_action_seconds"] == 7.0


def test_verdict_messages_are_the_guides_words():
    assert face.verdict_message("passed") == "恭喜您，认证成功"
    assert (
        face.verdict_message("liveness_failed")
        == "认证失败，您的相貌能对上，但您没有跟着引导做动作"
    )
    assert (
        face.verdict_message("mismatch")
        == "认证失败，您的认证照片与建模照片不匹配，请您通过其他方式进行认证"
    )
    assert face.verdict_message("something-new").startswith("认证失败")


def test_enrolment_refusal_carries_the_engines_reason():
    with pytest.raises(face.EnrolRefused) as caught:
        face.enrol(b"not an image")
    assert caught.value.code == "bad_image"
    assert caught.value.message


def test_production_challenge_holds_each_prompt_back_a_random_time(settings):
    settings.FACE_FIXED_CHALLENGE = []
    settings.FACE_HOLD_MIN_SECONDS, settings.FACE_HOLD_MAX_SECONDS = 1.0, 4.0
    settings.FACE_REACTION_SECONDS = 4.0
    drawn = [face.new_challenge() for _ in range(30)]
    holds = [h for c in drawn for h in c["holds"]]
    assert all(len(c["holds"]) == len(c["actions"]) for c in drawn)
    assert all(1.0 <= h <= 4.0 for h in holds)
    assert len(set(holds)) > 20
    assert {c["reaction_seconds"] for c in drawn} == {4.0}


def test_the_action_pool_is_a_setting(settings):
    settings.FACE_FIXED_CHALLENGE = []
    settings.FACE_ACTIONS = ["nod", "turn_left", "turn_right"]
    drawn = {a for _ in range(30) for a in face.new_challenge()["actions"]}
    assert drawn <= {"nod", "turn_left", "turn_right"}


def test_an_unreadable_frame_is_skipped_with_its_reason(settings):
    settings.FACE_FIXED_CHALLENGE = ["blink", "nod"]
    challenge = face.new_challenge()
    step = face.run(challenge, [[0.0] * 128], None, [(0.1, b"\xff\xd8\xff x")], 0.2)
    assert step.accepted == 0
    assert step.rejected is not None
    assert step.rejected.code == "bad_image"
    assert not step.progress.finished


def test_finishing_without_frames_fails_and_late_is_expired(settings):
    settings.FACE_FIXED_CHALLENGE = ["blink", "nod"]
    challenge = face.new_challenge()
    early = face.finish(challenge, [[0.0] * 128], None, 1.0)
    assert early.verdict is not None
    assert early.verdict.code == "no_face"
    json.dumps(early.state)
    late = face.finish(challenge, [[0.0] * 128], None, 10_000.0)
    assert late.verdict is not None
    assert late.verdict.code == "expired"


def test_a_state_of_another_protocol_version_is_refused(settings):
    settings.FACE_FIXED_CHALLENGE = ["blink", "nod"]
    challenge = face.new_challenge()
    with pytest.raises(face.StateVersionError):
        face.run(challenge, [[0.0] * 128], {"v": 3}, [], 1.0)


def test_every_drawn_challenge_has_a_head_movement(settings):
    settings.FACE_FIXED_CHALLENGE = []
    settings.FACE_ACTIONS = list(face.ACTIONS)
    drawn = [face.new_challenge()["actions"] for _ in range(200)]
    assert all({"turn_left", "turn_right", "nod"} & set(actions) for actions in drawn)
    assert any("blink" in actions for actions in drawn)
    assert any("open_mouth" in actions for actions in drawn)


def test_the_wsgi_entry_point_loads_the_engine_before_any_frame():
    # gunicorn --preload imports it in the master: the models load there once
    # for every worker, not on each worker's first frame.
    code = (
        "import lifecert.wsgi, faceverify.engine as e;"
        " from lifecert.certification.face import engine_config;"
        " print(engine_config() in e._engines)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lifecert.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["True"]
