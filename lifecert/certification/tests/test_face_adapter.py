"""The seam to the face engine: settings in, plain JSON out."""

import json

import numpy as np
import pytest

from lifecert.certification import face


def test_engine_config_reads_the_face_settings(settings):
    settings.FACE_MATCH_THRESHOLD = 0.5
    settings.FACE_PER_ACTION_SECONDS = 6.0
    settings.FACE_MAX_FRAME_BYTES = 1234
    config = face.engine_config()
    assert config.match_threshold == 0.5
    assert config.per_action_seconds == 6.0
    assert config.max_frame_bytes == 1234


def test_zero_threshold_keeps_the_engines_default(settings):
    import faceverify

    settings.FACE_MATCH_THRESHOLD = 0.0
    default = faceverify.EngineConfig().match_threshold
    assert face.engine_config().match_threshold == default


def test_production_challenge_is_random_two_or_three_actions(settings):
    import faceverify

    settings.FACE_FIXED_CHALLENGE = []
    drawn = [tuple(face.new_challenge()["actions"]) for _ in range(40)]
    assert {len(actions) for actions in drawn} <= {2, 3}
    assert len(set(drawn)) > 5
    assert all(set(actions) <= set(faceverify.ACTIONS) for actions in drawn)


def test_tests_may_fix_the_challenge(settings):
    settings.FACE_FIXED_CHALLENGE = ["nod", "blink"]
    settings.FACE_PER_ACTION_SECONDS = 7.0
    challenge = face.new_challenge()
    assert challenge["actions"] == ["nod", "blink"]
    assert challenge["per_action_seconds"] == 7.0


def test_engine_state_with_numpy_numbers_becomes_plain_json():
    state = {"a": np.float32(0.5), "b": np.arange(3), "c": [np.int64(2)]}
    plain = face.jsonable(state)
    assert plain == {"a": 0.5, "b": [0, 1, 2], "c": [2]}
    json.dumps(plain)


def test_unknown_objects_are_not_silently_stored():
    with pytest.raises(TypeError):
        face.jsonable({"x": object()})


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


def test_unreadable_frame_is_rejected_with_a_reason(settings):
    settings.FACE_FIXED_CHALLENGE = ["blink", "nod"]
    challenge = face.new_challenge()
    with pytest.raises(face.FrameRejected) as caught:
        face.feed(challenge, [[0.0] * 128], None, 0.1, b"\xff\xd8\xff garbage")
    assert caught.value.code == "bad_image"


def test_finishing_without_frames_fails_and_late_is_expired(settings):
    settings.FACE_FIXED_CHALLENGE = ["blink", "nod"]
    challenge = face.new_challenge()
    early = face.finish(challenge, [[0.0] * 128], None, 1.0)
    assert early.verdict["code"] in {"no_face", "liveness_failed"}
    json.dumps(early.state)
    late = face.finish(challenge, [[0.0] * 128], None, 10_000.0)
    assert late.verdict["code"] == "expired"
