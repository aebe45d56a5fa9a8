"""Every pensioner screen names the next step: after a success the city and the
new due date, after a failure the tries left and where else to go, after an
expired login the way back, and receipts named by the pensioner's own day."""

import datetime
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from lifecert.certification.models import Certification, Channel, FaceSession
from lifecert.demo import testing

from .helpers import enrol_ready, frame

pytestmark = pytest.mark.django_db

START = reverse("pensioner:session-start")
CERTIFY = reverse("pensioner:certify")


@pytest.fixture
def pensioner_client(client, personas, stand_in):
    enrol_ready(personas.pensioner)
    client.force_login(personas.pensioner_user)
    return client


def _run(client, tag):
    session = client.post(START).json()
    response = client.post(
        reverse("pensioner:session-frame", args=[session["id"]]),
        data=frame(tag),
        content_type="image/jpeg",
        HTTP_X_FRAME_TIME="0.5",
    )
    return response.json()


def test_success_page_shows_the_city_and_the_new_due_date(pensioner_client):
    data = _run(pensioner_client, "PASS")
    page = pensioner_client.get(data["result_url"]).content.decode()
    certified = timezone.localdate(Certification.objects.get().certified_at)
    due = certified.replace(year=certified.year + 1)
    assert '<dd id="result-region">广州市</dd>' in page
    assert f'<dd id="result-due">{due:%Y-%m-%d}</dd>' in page
    assert f"请在 {due.year}年{due.month}月{due.day}日 前完成下一次认证" in page


@pytest.mark.parametrize("tag", ["LIVENESS", "MISMATCH"])
def test_failure_says_tries_left_and_gives_the_office_and_12333(pensioner_client, tag):
    data = _run(pensioner_client, tag)
    assert data["tries_left"] == 2
    page = pensioner_client.get(data["result_url"]).content.decode()
    assert "今天还可以再试 <strong>2</strong> 次" in page
    assert "这次计入当天的失败次数" in page
    assert "广州市社会保险基金管理中心" in page
    assert "地址：广州市越秀区演示路 1 号" in page
    assert 'href="tel:020-12333"' in page
    assert 'href="tel:12333"' in page


def test_a_session_without_a_face_says_it_did_not_count(pensioner_client):
    session = pensioner_client.post(START).json()
    pensioner_client.post(
        reverse("pensioner:session-frame", args=[session["id"]]),
        data=frame("NOFACE"),
        content_type="image/jpeg",
        HTTP_X_FRAME_TIME="0.5",
    )
    finished = pensioner_client.post(
        reverse("pensioner:session-finish", args=[session["id"]])
    ).json()
    assert finished["tries_left"] == 3
    page = pensioner_client.get(finished["result_url"]).content.decode()
    assert "这次不计入失败次数，今天还可以再试 <strong>3</strong> 次" in page
    assert page.count("计入") == 1, "said once, not twice"


def test_blocked_camera_page_gives_the_office(pensioner_client, settings):
    settings.FACE_MAX_FAILURES_PER_DAY = 1
    _run(pensioner_client, "MISMATCH")
    page = pensioner_client.get(CERTIFY).content.decode()
    assert 'id="blocked"' in page
    assert "广州市社会保险基金管理中心" in page
    assert "12333" in page


def test_expired_login_on_the_camera_page_leads_back_to_registration(client):
    response = client.post(START)
    assert response.status_code == 401
    data = response.json()
    assert data["error"] == "login_required"
    assert "重新进行资格认证登记" in data["message"]
    assert data["login_url"] == "/personal/certify/login/?next=/personal/certify/"


def test_registration_after_an_expired_login_returns_to_the_camera_page(
    client, personas
):
    login = reverse("pensioner:cert-login")
    page = client.get(login, {"next": CERTIFY}).content.decode()
    assert f'name="next" value="{CERTIFY}"' in page
    response = client.post(
        login,
        {"name": "杨书维", "ssn": "43060319920301203X", "next": CERTIFY},
    )
    assert response.status_code == 302
    assert response["Location"] == CERTIFY


def test_camera_page_has_the_relogin_link_and_start_before_skip(pensioner_client):
    page = pensioner_client.get(CERTIFY).content.decode()
    assert 'id="relogin" href="/personal/certify/login/?next=/personal/certify/"' in (
        page
    )
    # 开始认证 comes before the video and before 跳过 (the seed's wording).
    assert page.index('id="start"') < page.index('id="preview"')
    assert page.index('id="start"') < page.index('id="skip"')
    assert "如果您只需要查看认证结果，可以选择<a" in page


def test_no_camera_names_the_other_ways_to_certify(pensioner_client):
    """Found at phone width: 没有检测到可用的摄像头 only said to find another
    device; a person without one was left with nowhere to go."""
    page = pensioner_client.get(CERTIFY).content.decode()
    missing = page[page.index('id="camera-missing"') :]
    missing = missing[: missing.index("</div>")]
    assert "窗口办理" in missing
    assert 'href="tel:12333"' in missing
    assert "上门认证" in missing


def test_receipt_is_named_by_the_local_date(client, personas):
    # 00:19 in Beijing on 2 March is 16:19 UTC on 1 March.
    at = datetime.datetime(2026, 3, 1, 16, 19, tzinfo=datetime.UTC)
    certification = testing.make_certification(
        entitlement=personas.entitlement, certified_at=at, receipt_code="R20260302001"
    )
    client.force_login(personas.pensioner_user)
    response = client.get(reverse("pensioner:receipt", args=[certification.public_id]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="receipt-20260302.pdf"'
    )


def test_open_session_is_no_result_yet(pensioner_client):
    session = pensioner_client.post(START).json()
    assert FaceSession.objects.get(public_id=session["id"]).status == "open"
    response = pensioner_client.get(session["result_url"])
    assert response.status_code == 302


def test_a_migrated_certification_has_no_receipt(client, personas):
    # 历史数据迁移 (the registry import's 上次认证日期) certifies nothing here:
    # no receipt code, so no receipt, even by typing its id into the URL.
    migrated = testing.make_certification(
        entitlement=personas.entitlement, channel=Channel.MIGRATED
    )
    client.force_login(personas.pensioner_user)
    response = client.get(reverse("pensioner:receipt", args=[migrated.public_id]))
    assert response.status_code == 404


def test_no_camera_is_said_once(pensioner_client):
    """Found on the walk: the status line said 没有检测到摄像头 and the guidance
    under it 没有检测到可用的摄像头. The guidance says it (read out: role
    alert); camera.js no longer writes a failure into the status line and
    hides it while a guidance block shows."""
    page = pensioner_client.get(CERTIFY).content.decode()
    assert page.count("没有检测到") == 1
    assert '<div id="camera-missing" class="guidance" role="alert" hidden>' in page
    assert '<div id="camera-denied" class="guidance" role="alert" hidden>' in page
    js = (Path(__file__).resolve().parents[3] / "static/js/camera.js").read_text()
    status_lines = re.findall(r'setCheck\("([^"]*)"\)', js)
    assert status_lines == [
        "正在检测您的浏览器是否可以使用摄像头……",
        "摄像头正常。请把脸放进框内，点击“开始认证”，然后跟着语音提示做动作。",
    ]
    guidance = js[js.index("function showGuidance") :]
    guidance = guidance[: guidance.index("\n  }\n")]
    assert '$("check-status").hidden = true;' in guidance
    assert js.count('showGuidance("camera-missing", "') == 2  # with its reason
