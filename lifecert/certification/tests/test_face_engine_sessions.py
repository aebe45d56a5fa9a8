"""Every verdict path of a camera session, end to end with the real face engine.

Frames cut from the real clips in ``../shared/media`` go through the same HTTP
endpoints the browser uses, on a server clock the test moves. A genuine person
is a ``Responder`` (``faceverify.actors``): neutral frames while waiting, the real
clip of the asked action a human reaction after each prompt. The pensioner is
enrolled from a frame of another recording of the same man.
"""

import datetime

import pytest
import time_machine
from django.urls import reverse

from lifecert.certification.biometrics import review_frames
from lifecert.certification.enrolment import enrol_photo
from lifecert.certification.models import Certification, FaceSession
from lifecert.core import vault

from .face_driver import drive

pytestmark = [pytest.mark.django_db, pytest.mark.model]

BIOMETRIC_KEYS = ("anchor", "descs", "cont", "ref_crop", "canon", "ncrop", "checks")


@pytest.fixture
def man(webcam_man):
    return webcam_man


@pytest.fixture
def enrolled(personas, man, client, settings):
    settings.FACE_MAX_STARTS_PER_DAY = 1000
    settings.FACE_MAX_FAILURES_PER_DAY = 1000
    template = enrol_photo(
        person=personas.pensioner,
        photo=man.enrolment,
        content_type="image/jpeg",
        acting_user=None,
    )
    assert template.status == "ready", template.failure_reason
    client.force_login(personas.pensioner_user)
    return client


def _biometric_values(sealed_state):
    """Every non-empty biometric entry left in a saved engine state."""
    assert sealed_state is None or vault.is_sealed(sealed_state)
    state = None if sealed_state is None else vault.open_json(sealed_state)
    found = []

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif (isinstance(value, list) and value and key in BIOMETRIC_KEYS) or (
            isinstance(value, str) and key in BIOMETRIC_KEYS
        ):
            found.append(key)

    walk(state or {})
    return found


def test_the_enrolled_man_answering_each_prompt_is_certified(
    actors, enrolled, man, settings
):
    settings.FACE_FIXED_CHALLENGE = ["turn_right", "nod"]
    run = drive(enrolled, actors.Responder(man))
    assert run.body["verdict"] == {"code": "passed", "message": "恭喜您，认证成功"}
    # Asked one at a time, in order, each only after the face held still.
    assert [action for _t, action in run.prompts] == ["turn_right", "nod"]
    assert run.prompts[0][0] >= 1.0
    session = FaceSession.objects.get(public_id=run.start["id"])
    assert session.status == "passed"
    assert session.score is not None
    assert session.score < 0.55
    assert Certification.objects.get().evidence["face_session"] == run.start["id"]
    # Nothing biometric is left once the verdict is given.
    assert _biometric_values(session.state) == []
    assert session.evidence is None
    # Replaying a frame afterwards (a second later) changes nothing.
    url = reverse("pensioner:session-frame", args=[run.start["id"]])
    with time_machine.travel(run.ended + datetime.timedelta(seconds=1), tick=False):
        replay = enrolled.post(
            url, data=man.neutral.frames[0], content_type="image/jpeg"
        )
    assert replay.status_code == 410
    assert Certification.objects.count() == 1


def test_an_elderly_person_slow_to_react_is_certified(actors, enrolled, man, settings):
    settings.FACE_FIXED_CHALLENGE = ["nod", "turn_left"]
    run = drive(enrolled, actors.slow_responder(man))
    assert run.code == "passed", run.body


@pytest.mark.parametrize(
    ("who", "challenge"),
    [
        ("Responder", ["turn_right", "nod"]),
        ("slow_responder", ["open_mouth", "turn_left"]),
    ],
)
def test_a_held_prompt_is_read_at_two_frames_a_second(
    actors, enrolled, man, settings, who, challenge
):
    # The server sets the camera's pace: while it holds a prompt back it needs
    # only a still face in view (2 frames a second), while an action is asked
    # every frame of the movement (8 a second). A person sending at that pace
    # is certified.
    settings.FACE_FIXED_CHALLENGE = challenge
    run = drive(enrolled, getattr(actors, who)(man), paced=True)
    assert run.code == "passed", (run.body, run.prompts)
    assert run.start["frame_interval_ms"] == 125
    asked: dict[str, set[int]] = {}
    for phase, ms in run.paces:
        asked.setdefault(phase, set()).add(ms)
    assert asked == {"settle": {125}, "hold": {500}, "act": {125}, "done": {125}}


def test_a_random_challenge_on_a_slow_line_is_certified(
    actors, enrolled, man, settings
):
    settings.FACE_ACTIONS = ["turn_left", "turn_right", "nod", "open_mouth"]
    run = drive(enrolled, actors.Responder(man), batch=4)
    assert run.code == "passed", (run.body, run.prompts)
    assert len(run.prompts) == run.start["steps"]


def test_an_open_mouth_when_asked_is_certified(actors, enrolled, man, settings):
    # The planar check of an open mouth compares the mouth's rows only: the
    # rest of a low-resolution face is rigid and passed for a plane moved.
    settings.FACE_FIXED_CHALLENGE = ["open_mouth", "turn_left"]
    run = drive(enrolled, actors.Responder(man))
    assert run.code == "passed", (run.body, run.prompts)
    assert [action for _t, action in run.prompts] == ["open_mouth", "turn_left"]


def test_another_persons_face_is_a_mismatch(
    actors, client, personas, shared_dir, settings
):
    settings.FACE_FIXED_CHALLENGE = ["turn_right", "nod"]
    enrol_photo(
        person=personas.pensioner,
        photo=(shared_dir / "faces/obama/obama.jpg").read_bytes(),
        content_type="image/jpeg",
        acting_user=None,
    )
    client.force_login(personas.pensioner_user)
    run = drive(client, actors.Responder(actors.webcam_man(shared_dir)))
    assert run.body["verdict"] == {
        "code": "mismatch",
        "message": "认证失败，您的认证照片与建模照片不匹配，请您通过其他方式进行认证",
    }
    assert Certification.objects.count() == 0
    session = FaceSession.objects.get(public_id=run.start["id"])
    # A failure keeps a few frames for the manual review, for a while only.
    assert 1 <= len(session.evidence) <= 3
    # Sealed at rest; the review opens real JPEGs.
    assert all(vault.is_sealed(sealed) for sealed in session.evidence)
    assert all(f.startswith(b"\xff\xd8") for f in review_frames(session))
    assert session.evidence_until is not None
    assert _biometric_values(session.state) == []


def test_a_still_photo_fails_liveness_and_counts(actors, enrolled, man, settings):
    settings.FACE_FIXED_CHALLENGE = ["turn_right", "nod"]
    run = drive(enrolled, actors.Responder(man.still()), seconds=30)
    assert run.code == "liveness_failed", run.body
    assert run.body["tries_left"] == 999
    assert Certification.objects.count() == 0


def test_a_real_non_image_frame_gets_the_engines_reason(enrolled, man):
    data = enrolled.post(reverse("pensioner:session-start")).json()
    url = reverse("pensioner:session-frame", args=[data["id"]])
    response = enrolled.post(
        url, data=man.neutral.frames[0][:200], content_type="image/jpeg"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_image"
    assert response.json()["message"]
