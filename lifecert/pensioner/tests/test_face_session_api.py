"""The camera session API: one-time, bound to the person, expiring, replay-proof."""

import datetime
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lifecert.accounts.models import FamilyLink
from lifecert.certification import face_sessions
from lifecert.certification.models import (
    Certification,
    FaceSession,
    ReviewRequest,
)
from lifecert.certification.services import OVERDUE_REASON
from lifecert.core import vault
from lifecert.core.models import AuditEvent
from lifecert.demo import testing
from lifecert.pensioner.access import SESSION_PERSON

from .helpers import enrol_ready, frame

pytestmark = pytest.mark.django_db

START = reverse("pensioner:session-start")
CERTIFY = reverse("pensioner:certify")


def _frame_url(session_id):
    return reverse("pensioner:session-frame", args=[session_id])


def _post_frame(client, session_id, tag="", ts="0.5"):
    return client.post(
        _frame_url(session_id),
        data=frame(tag),
        content_type="image/jpeg",
        HTTP_X_FRAME_TIME=ts,
    )


@pytest.fixture
def pensioner_client(client, personas, stand_in):
    enrol_ready(personas.pensioner)
    client.force_login(personas.pensioner_user)
    return client


def _start(client):
    response = client.post(START)
    assert response.status_code == 201, response.content
    return response.json()


def test_start_tells_how_many_steps_but_not_which(pensioner_client, personas):
    data = _start(pensioner_client)
    assert data["steps"] == 2
    assert "actions" not in data
    assert "prompts" not in data
    assert "blink" not in str(data)
    session = FaceSession.objects.get(public_id=data["id"])
    assert session.challenge["actions"] == ["blink", "turn_left"]
    assert session.person == personas.pensioner
    assert session.status == FaceSession.Status.OPEN
    assert session.expires_at > timezone.now()


def test_the_browser_session_remembers_the_face_sessions_it_started(
    pensioner_client,
):
    ids = [_start(pensioner_client)["id"] for _ in range(2)]
    assert pensioner_client.session["face_sessions_started"][-2:] == ids


def test_fixed_challenge_setting_is_used(pensioner_client, settings):
    settings.FACE_FIXED_CHALLENGE = ["nod", "open_mouth"]
    data = _start(pensioner_client)
    session = FaceSession.objects.get(public_id=data["id"])
    assert session.challenge["actions"] == ["nod", "open_mouth"]


def test_a_new_session_abandons_the_previous_one(pensioner_client):
    first = _start(pensioner_client)
    _start(pensioner_client)
    assert FaceSession.objects.get(public_id=first["id"]).status == "abandoned"
    response = _post_frame(pensioner_client, first["id"])
    assert response.status_code == 410


def test_frames_advance_the_saved_state(pensioner_client, stand_in):
    data = _start(pensioner_client)
    response = _post_frame(pensioner_client, data["id"])
    assert response.status_code == 200
    body = response.json()
    assert body["prompt"] == "请眨眨眼"
    assert body["finished"] is False
    session = FaceSession.objects.get(public_id=data["id"])
    assert session.frames_seen == 1
    assert session.face_seen is True
    assert vault.open_json(session.state) == {"count": 1, "face_seen": True}


def test_the_servers_clock_places_a_frame_whatever_the_browser_claims(
    pensioner_client, stand_in
):
    data = _started_seconds_ago(pensioner_client, 10)
    _post_frame(pensioner_client, data["id"], ts="99")
    _post_frame(pensioner_client, data["id"], ts="0.0")
    # Both at their arrival: about 10 s into the session, in order.
    assert all(9.5 < t < 12 for t in stand_in.fed)
    assert stand_in.fed[1] >= stand_in.fed[0]
    assert stand_in.now[0] >= stand_in.fed[0]


def test_pass_writes_one_face_certification_with_evidence_and_audit(
    pensioner_client, personas
):
    data = _start(pensioner_client)
    body = _post_frame(pensioner_client, data["id"], "PASS").json()
    assert body["verdict"] == {"code": "passed", "message": "恭喜您，认证成功"}
    session = FaceSession.objects.get(public_id=data["id"])
    assert session.status == "passed"
    cert = session.certification
    assert cert.channel == "face"
    assert cert.evidence["face_session"] == data["id"]
    assert cert.evidence["score"] == 0.4
    personas.entitlement.refresh_from_db()
    assert personas.entitlement.last_certified_at == cert.certified_at
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"certification.create", "face_session.finish"} <= actions
    page = pensioner_client.get(body["result_url"]).content.decode()
    assert "恭喜您，认证成功" in page
    assert reverse("pensioner:receipt", args=[cert.public_id]) in page


def test_pass_resumes_a_suspended_entitlement(pensioner_client, personas):
    entitlement = personas.entitlement
    entitlement.status = "suspended"
    entitlement.status_reason = OVERDUE_REASON
    entitlement.status_since = datetime.date(2025, 1, 1)
    entitlement.save()
    data = _start(pensioner_client)
    _post_frame(pensioner_client, data["id"], "PASS")
    entitlement.refresh_from_db()
    assert entitlement.status == "normal"
    assert entitlement.back_pays.count() == 1


def test_replaying_a_finished_sessions_frames_cannot_certify_twice(pensioner_client):
    data = _start(pensioner_client)
    _post_frame(pensioner_client, data["id"], "PASS")
    for _ in range(3):
        response = _post_frame(pensioner_client, data["id"], "PASS")
        assert response.status_code == 410
        assert response.json()["error"] == "finished"
    finish = pensioner_client.post(
        reverse("pensioner:session-finish", args=[data["id"]])
    )
    assert finish.status_code == 410
    assert Certification.objects.count() == 1


def test_a_stale_concurrent_frame_cannot_close_the_session_again(
    pensioner_client, personas
):
    data = _start(pensioner_client)
    stale = FaceSession.objects.get(public_id=data["id"])  # read before the pass
    _post_frame(pensioner_client, data["id"], "PASS")
    stale.status = FaceSession.Status.OPEN  # as another worker still sees it
    with pytest.raises(face_sessions.FaceSessionError) as caught:
        face_sessions.submit_frames(
            session=stale, frames=[(frame("PASS"), 1.0)], acting_user=None, ip=None
        )
    assert caught.value.status == 410
    assert Certification.objects.count() == 1


def test_frames_to_another_persons_session_are_refused(pensioner_client, personas):
    other = testing.make_entitlement(region=personas.region)
    enrol_ready(other.person)
    other_client = Client()
    other_client.force_login(testing.make_personal_user(other.person))
    data = _start(other_client)
    response = _post_frame(pensioner_client, data["id"], "PASS")
    assert response.status_code == 404
    # In the camera's JSON shape, which its page shows; nothing about the session.
    assert response.json() == {
        "error": "not_found",
        "message": "未找到这次人脸认证，请回到资格认证页面重新开始。",
    }
    batch = _post_batch(pensioner_client, data["id"], ["PASS", "PASS"], [1, 2])
    assert batch.status_code == 404
    assert batch.json()["error"] == "not_found"
    assert FaceSession.objects.get(public_id=data["id"]).frames_seen == 0


def test_frames_need_a_certifying_person(client, personas, stand_in):
    enrol_ready(personas.pensioner)
    other = Client()
    other.force_login(personas.pensioner_user)
    data = _start(other)
    assert _post_frame(client, data["id"]).status_code == 401


def test_on_the_certification_login_frames_to_another_persons_session_are_404(
    client, personas, stand_in
):
    other = testing.make_entitlement(region=personas.region)
    enrol_ready(other.person)
    other_client = Client()
    other_client.force_login(testing.make_personal_user(other.person))
    data = _start(other_client)
    client.post(
        reverse("pensioner:cert-login"), {"name": "杨书维", "ssn": "43060319920301203X"}
    )
    assert _post_frame(client, data["id"], "PASS").status_code == 404
    finish = reverse("pensioner:session-finish", args=[data["id"]])
    response = client.post(finish)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert FaceSession.objects.get(public_id=data["id"]).frames_seen == 0


def test_a_certification_login_whose_person_is_gone_is_asked_to_log_in(
    client, personas, stand_in
):
    enrol_ready(personas.pensioner)
    client.post(
        reverse("pensioner:cert-login"), {"name": "杨书维", "ssn": "43060319920301203X"}
    )
    data = _start(client)
    session = client.session
    session[SESSION_PERSON] = str(uuid.uuid4())
    session.save()
    response = _post_frame(client, data["id"])
    assert response.status_code == 401
    assert response.json()["error"] == "login_required"


def test_bad_session_id_is_404(pensioner_client):
    response = pensioner_client.post(
        "/personal/certify/sessions/not-a-uuid/frames/",
        data=frame(),
        content_type="image/jpeg",
    )
    assert response.status_code == 404


def test_frames_to_an_expired_session_are_refused(pensioner_client):
    data = _start(pensioner_client)
    FaceSession.objects.filter(public_id=data["id"]).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = _post_frame(pensioner_client, data["id"], "PASS")
    assert response.status_code == 410
    assert response.json()["error"] == "expired"
    assert FaceSession.objects.get(public_id=data["id"]).status == "expired"
    assert Certification.objects.count() == 0


def test_frames_without_csrf_are_refused(personas, stand_in):
    enrol_ready(personas.pensioner)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas.pensioner_user)
    assert strict.post(START).status_code == 403
    lenient = Client()
    lenient.force_login(personas.pensioner_user)
    data = _start(lenient)
    strict.cookies = lenient.cookies
    response = _post_frame(strict, data["id"], "PASS")
    assert response.status_code == 403
    assert Certification.objects.count() == 0


def test_frames_with_the_csrf_token_are_accepted(personas, stand_in):
    enrol_ready(personas.pensioner)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas.pensioner_user)
    strict.get(CERTIFY)
    token = strict.cookies["csrftoken"].value
    data = strict.post(START, HTTP_X_CSRFTOKEN=token).json()
    response = strict.post(
        _frame_url(data["id"]),
        data=frame(),
        content_type="image/jpeg",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200


def test_oversized_frames_get_a_clear_error(pensioner_client, settings):
    settings.FACE_MAX_FRAME_BYTES = 1000
    data = _start(pensioner_client)
    response = pensioner_client.post(
        _frame_url(data["id"]), data=frame() + b"0" * 2000, content_type="image/jpeg"
    )
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert "图像太大" in response.json()["message"]


def test_non_image_frames_get_a_clear_error(pensioner_client):
    data = _start(pensioner_client)
    response = pensioner_client.post(
        _frame_url(data["id"]), data=b"hello", content_type="image/jpeg"
    )
    assert response.status_code == 415
    assert response.json() == {
        "error": "bad_image",
        "message": "收到的不是 JPEG 或 PNG 图像，请刷新页面后重试。",
    }


def test_frames_the_engine_cannot_read_get_its_reason(pensioner_client):
    data = _start(pensioner_client)
    response = _post_frame(pensioner_client, data["id"], "BAD")
    assert response.status_code == 400
    assert response.json()["error"] == "bad_image"
    assert FaceSession.objects.get(public_id=data["id"]).status == "open"


def test_frame_endpoint_refuses_get(pensioner_client):
    data = _start(pensioner_client)
    assert pensioner_client.get(_frame_url(data["id"])).status_code == 405


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("LIVENESS", "认证失败，您的相貌能对上，但您没有跟着引导做动作"),
        (
            "MISMATCH",
            "认证失败，您的认证照片与建模照片不匹配，请您通过其他方式进行认证",
        ),
    ],
)
def test_failures_show_the_guides_words(pensioner_client, tag, message):
    data = _start(pensioner_client)
    body = _post_frame(pensioner_client, data["id"], tag).json()
    assert body["verdict"]["message"] == message
    page = pensioner_client.get(body["result_url"]).content.decode()
    assert message in page
    assert "重新认证" in page
    assert Certification.objects.count() == 0


def test_third_failure_of_the_day_stops_the_camera_and_records_a_review(
    pensioner_client, personas
):
    for _ in range(3):
        data = _start(pensioner_client)
        _post_frame(pensioner_client, data["id"], "MISMATCH")
    review = ReviewRequest.objects.get(person=personas.pensioner)
    assert review.status == "open"
    assert AuditEvent.objects.filter(action="review_request.create").count() == 1
    response = pensioner_client.post(START)
    assert response.status_code == 403
    assert response.json()["error"] == "blocked"
    page = pensioner_client.get(CERTIFY).content.decode()
    assert "今天不能再使用摄像头认证" in page
    assert "窗口认证" in page
    assert "上门认证" in page
    assert "已为您登记人工审核申请" in page
    assert "camera.js" not in page
    centre = pensioner_client.get(reverse("pensioner:centre")).content.decode()
    assert 'id="enter-cert"' not in centre


def test_failures_of_yesterday_do_not_count(pensioner_client, personas):
    for _ in range(3):
        data = _start(pensioner_client)
        _post_frame(pensioner_client, data["id"], "MISMATCH")
    FaceSession.objects.update(created_at=timezone.now() - datetime.timedelta(days=1))
    assert pensioner_client.post(START).status_code == 201


def test_time_up_asks_the_engine_for_its_verdict(pensioner_client):
    data = _start(pensioner_client)
    _post_frame(pensioner_client, data["id"])
    response = pensioner_client.post(
        reverse("pensioner:session-finish", args=[data["id"]])
    )
    assert response.json()["verdict"]["code"] == "liveness_failed"
    assert response.json()["tries_left"] == 2


def test_person_without_enrolment_is_told_to_enrol(client, personas, stand_in):
    client.force_login(personas.pensioner_user)
    assert client.post(START).json()["error"] == "not_enrolled"
    assert "您尚未建模" in client.get(CERTIFY).content.decode()


def test_certification_login_user_can_certify_without_an_account(
    client, personas, stand_in
):
    enrol_ready(personas.pensioner)
    client.post(
        reverse("pensioner:cert-login"), {"name": "杨书维", "ssn": "43060319920301203X"}
    )
    data = _start(client)
    body = _post_frame(client, data["id"], "PASS").json()
    assert body["verdict"]["code"] == "passed"
    cert = Certification.objects.get()
    assert cert.operator is None
    assert AuditEvent.objects.filter(
        action="certification.create", actor_label="anonymous"
    ).exists()


def test_family_member_is_added_after_their_own_face_passes(pensioner_client, personas):
    parent = testing.make_entitlement(region=personas.region).person
    enrol_ready(parent)
    family = reverse("pensioner:family")
    response = pensioner_client.post(family, {"name": parent.name, "ssn": parent.ssn})
    assert response["Location"] == CERTIFY
    assert pensioner_client.session[SESSION_PERSON] == str(parent.public_id)
    assert not FamilyLink.objects.exists()
    data = _start(pensioner_client)
    assert FaceSession.objects.get(public_id=data["id"]).person == parent
    _post_frame(pensioner_client, data["id"], "PASS")
    link = FamilyLink.objects.get()
    assert (link.account, link.person) == (personas.pensioner_user, parent)
    page = pensioner_client.get(family).content.decode()
    assert parent.name in page
    assert parent.masked_ssn in page
    assert "为TA认证" in page


def test_family_member_is_not_added_when_the_face_fails(pensioner_client, personas):
    parent = testing.make_entitlement(region=personas.region).person
    enrol_ready(parent)
    pensioner_client.post(
        reverse("pensioner:family"), {"name": parent.name, "ssn": parent.ssn}
    )
    data = _start(pensioner_client)
    _post_frame(pensioner_client, data["id"], "MISMATCH")
    assert not FamilyLink.objects.exists()


def test_a_pending_family_add_can_be_cancelled(pensioner_client, personas):
    parent = testing.make_entitlement(region=personas.region).person
    enrol_ready(parent)
    pensioner_client.post(
        reverse("pensioner:family"), {"name": parent.name, "ssn": parent.ssn}
    )
    page = pensioner_client.get(CERTIFY).content.decode()
    assert "取消添加，返回家属协助" in page
    assert "这次认证也记为TA本期的资格认证" in page
    response = pensioner_client.post(reverse("pensioner:family-cancel"))
    assert response["Location"] == reverse("pensioner:family")
    assert SESSION_PERSON not in pensioner_client.session
    assert not FamilyLink.objects.exists()
    centre = pensioner_client.get(reverse("pensioner:centre")).content.decode()
    assert "欢迎回来, 杨书维。" in centre
    # Nothing pending: cancelling again changes nothing and says nothing.
    pensioner_client.post(reverse("pensioner:family-cancel"))
    assert SESSION_PERSON not in pensioner_client.session


def test_family_page_keeps_the_menu_back_to_the_centre(pensioner_client, personas):
    page = pensioner_client.get(reverse("pensioner:family")).content.decode()
    assert f'href="{reverse("pensioner:centre")}"' in page


def test_act_as_only_for_linked_family(pensioner_client, personas):
    stranger = testing.make_entitlement().person
    response = pensioner_client.post(
        reverse("pensioner:act-as"), {"person": str(stranger.public_id)}
    )
    assert response["Location"] == reverse("pensioner:family")
    page = pensioner_client.get(reverse("pensioner:centre")).content.decode()
    assert "欢迎回来, 杨书维。" in page


def test_a_forged_session_person_in_the_cookie_session_is_ignored(
    pensioner_client, personas
):
    stranger = testing.make_entitlement().person
    session = pensioner_client.session
    session[SESSION_PERSON] = str(stranger.public_id)
    session.save()
    page = pensioner_client.get(reverse("pensioner:centre")).content.decode()
    assert "欢迎回来, 杨书维。" in page


def _started_seconds_ago(client, seconds=10):
    """A session begun ``seconds`` ago, so browser times up to then are believed."""
    data = _start(client)
    FaceSession.objects.filter(public_id=data["id"]).update(
        created_at=timezone.now() - datetime.timedelta(seconds=seconds)
    )
    return data


def _post_batch(client, session_id, tags, times):
    data = {"frame": [], "ts": list(times)}
    for index, tag in enumerate(tags):
        upload = SimpleUploadedFile(f"f{index}.jpg", frame(tag), "image/jpeg")
        data["frame"].append(upload)
    return client.post(_frame_url(session_id), data=data)


def test_a_batch_from_a_slow_line_is_fed_in_order_with_its_times(
    pensioner_client, stand_in
):
    data = _started_seconds_ago(pensioner_client)
    response = _post_batch(
        pensioner_client, data["id"], ["", "", ""], [0.5, 0.625, 0.75]
    )
    assert response.status_code == 200, response.content
    assert response.json()["frames_seen"] == 3
    # The newest at its arrival (~10 s), the others as far before it as the
    # browser says they were captured.
    newest = stand_in.fed[-1]
    assert 9.5 < newest < 12
    assert stand_in.fed == pytest.approx([newest - 0.25, newest - 0.125, newest])
    session = FaceSession.objects.get(public_id=data["id"])
    assert vault.open_json(session.state)["count"] == 3
    # The next single frame follows on from the batch.
    assert _post_frame(pensioner_client, data["id"], ts="0.8").status_code == 200
    assert FaceSession.objects.get(public_id=data["id"]).frames_seen == 4


def test_a_verdict_inside_a_batch_ends_it(pensioner_client, stand_in):
    data = _started_seconds_ago(pensioner_client)
    response = _post_batch(
        pensioner_client, data["id"], ["", "PASS", ""], [1, 1.1, 1.2]
    )
    assert response.status_code == 200
    assert response.json()["finished"] is True
    assert len(stand_in.fed) == 2  # the frame after the verdict is not fed
    assert Certification.objects.filter(channel="face").count() == 1


def test_rejected_frames_in_a_batch_are_skipped(pensioner_client, stand_in):
    data = _start(pensioner_client)
    response = _post_batch(pensioner_client, data["id"], ["", "BAD"], [1, 2])
    assert response.status_code == 200
    body = response.json()
    assert body["frames_seen"] == 1
    assert body["coaching"] == "无法读取这张图片。"  # about the newest frame
    response = _post_batch(pensioner_client, data["id"], ["BAD", "BAD"], [3, 4])
    assert response.status_code == 400
    assert response.json()["error"] == "bad_image"
    assert FaceSession.objects.get(public_id=data["id"]).frames_seen == 1


def test_batches_too_big_or_malformed_are_refused_with_nothing_fed(
    pensioner_client, stand_in, settings
):
    settings.FACE_MAX_BATCH_FRAMES = 2
    data = _start(pensioner_client)
    too_many = _post_batch(pensioner_client, data["id"], ["", "", ""], [1, 2, 3])
    assert too_many.status_code == 400
    assert too_many.json()["error"] == "bad_batch"
    times_missing = _post_batch(pensioner_client, data["id"], ["", ""], [1])
    assert times_missing.status_code == 400
    not_images = pensioner_client.post(
        _frame_url(data["id"]),
        data={"frame": [SimpleUploadedFile("x.jpg", b"GIF89a", "image/jpeg")]},
    )
    assert not_images.status_code == 415
    settings.FACE_MAX_FRAME_BYTES = 100
    big = _post_batch(pensioner_client, data["id"], ["x" * 200], [1])
    assert big.status_code == 413
    assert stand_in.fed == []
    assert FaceSession.objects.get(public_id=data["id"]).frames_seen == 0
