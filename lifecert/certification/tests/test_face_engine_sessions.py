"""Every verdict path of a camera session, end to end with the real face engine.

Frames cut from the real clips in ``../shared/media`` go through the same HTTP
endpoints the browser uses; the pensioner is enrolled from a frame of another
recording of the same man (``multi_action/webcam_man_mouth_turn.mp4``).
"""

import datetime
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from lifecert.certification.enrolment import enrol_photo
from lifecert.certification.models import Certification, FaceSession

pytestmark = [pytest.mark.django_db, pytest.mark.model]

FPS = 25.0


@cache
def _clip_frames(relative: str, step: int = 2) -> list[tuple[float, bytes]]:
    import cv2

    capture = cv2.VideoCapture(str(Path(settings.LIFECERT_SHARED_DIR) / relative))
    frames, index = [], 0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        if index % step == 0:
            jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])[1]
            frames.append((index / FPS, jpeg.tobytes()))
        index += 1
    return frames


@pytest.fixture
def webcam_man_enrolled(personas, shared_dir):
    photo = _clip_frames("media/multi_action/webcam_man_mouth_turn.mp4", 100)[1][1]
    template = enrol_photo(
        person=personas.pensioner,
        photo=photo,
        content_type="image/jpeg",
        acting_user=None,
    )
    assert template.status == "ready", template.failure_reason
    return personas


def _run(client, frames, *, loops=3):
    """Start a session and send frames until the server decides."""
    data = client.post(reverse("pensioner:session-start")).json()
    # The session began a minute ago, so the clip's own capture times stand.
    FaceSession.objects.filter(public_id=data["id"]).update(
        created_at=timezone.now() - datetime.timedelta(seconds=60)
    )
    url = reverse("pensioner:session-frame", args=[data["id"]])
    duration = frames[-1][0] + 1 / FPS * 2
    for loop in range(loops):
        for ts, jpeg in frames:
            response = client.post(
                url,
                data=jpeg,
                content_type="image/jpeg",
                HTTP_X_FRAME_TIME=f"{loop * duration + ts:.3f}",
            )
            assert response.status_code == 200, response.content
            body = response.json()
            if body["finished"]:
                return data, body
    return data, client.post(
        reverse("pensioner:session-finish", args=[data["id"]])
    ).json()


def test_the_enrolled_man_doing_the_actions_is_certified(
    client, webcam_man_enrolled, settings
):
    settings.FACE_FIXED_CHALLENGE = ["turn_right", "turn_left"]
    client.force_login(webcam_man_enrolled.pensioner_user)
    frames = _clip_frames("media/head_turn/webcam_man_turn_left_right.mp4")
    data, body = _run(client, frames)
    assert body["verdict"] == {"code": "passed", "message": "恭喜您，认证成功"}
    session = FaceSession.objects.get(public_id=data["id"])
    assert session.status == "passed"
    assert session.score is not None
    assert session.score < 0.55
    assert Certification.objects.get().evidence["face_session"] == data["id"]
    # Replaying the same frames afterwards changes nothing.
    url = reverse("pensioner:session-frame", args=[data["id"]])
    replay = client.post(url, data=frames[0][1], content_type="image/jpeg")
    assert replay.status_code == 410
    assert Certification.objects.count() == 1


def test_nod_clip_passes_a_nod_challenge(client, webcam_man_enrolled, settings):
    settings.FACE_FIXED_CHALLENGE = ["nod"]
    client.force_login(webcam_man_enrolled.pensioner_user)
    _, body = _run(client, _clip_frames("media/nod/webcam_man_nod_down_up.mp4"))
    assert body["verdict"]["code"] == "passed"


def test_another_persons_clip_is_a_mismatch(client, personas, shared_dir, settings):
    settings.FACE_FIXED_CHALLENGE = ["turn_right", "turn_left"]
    enrol_photo(
        person=personas.pensioner,
        photo=(shared_dir / "faces/obama/obama.jpg").read_bytes(),
        content_type="image/jpeg",
        acting_user=None,
    )
    client.force_login(personas.pensioner_user)
    frames = _clip_frames("media/head_turn/webcam_man_turn_left_right.mp4")
    _, body = _run(client, frames)
    assert body["verdict"] == {
        "code": "mismatch",
        "message": "认证失败，您的认证照片与建模照片不匹配，请您通过其他方式进行认证",
    }
    assert Certification.objects.count() == 0


def test_a_still_photo_fails_liveness(client, webcam_man_enrolled, settings):
    settings.FACE_FIXED_CHALLENGE = ["turn_right", "turn_left"]
    settings.FACE_PER_ACTION_SECONDS = 4.0
    client.force_login(webcam_man_enrolled.pensioner_user)
    still = _clip_frames("media/head_turn/webcam_man_turn_left_right.mp4")[0][1]
    frames = [(i / 5, still) for i in range(40)]  # 8 s at 5 frames a second
    _, body = _run(client, frames, loops=1)
    assert body["verdict"] == {
        "code": "liveness_failed",
        "message": "认证失败，您的相貌能对上，但您没有跟着引导做动作",
    }
    assert Certification.objects.count() == 0


def test_a_real_non_image_frame_gets_the_engines_reason(client, webcam_man_enrolled):
    client.force_login(webcam_man_enrolled.pensioner_user)
    data = client.post(reverse("pensioner:session-start")).json()
    url = reverse("pensioner:session-frame", args=[data["id"]])
    truncated = _clip_frames("media/head_turn/webcam_man_turn_left_right.mp4")[0][1]
    response = client.post(url, data=truncated[:200], content_type="image/jpeg")
    assert response.status_code == 400
    assert response.json()["error"] == "bad_image"
    assert response.json()["message"]
