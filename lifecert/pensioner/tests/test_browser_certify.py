"""The pensioner certifies in a real browser, camera faked by a real person.

Debian's chromium gets a responsive fake camera (``fake_camera``, see
``fakecam.js``): the webcam man of ``../shared/media`` facing the camera, who,
when the page prompts an action, does it after a human reaction delay, with the
real clip segment of that action (``faceverify.actors``); the real face engine
decides on the server. Set ``LIFECERT_SCREENSHOTS`` to save each screen at
desktop and phone widths.
"""

import io
import random
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from lifecert.certification.models import Certification, FaceSession

from .browser import (
    CHALLENGE,
    VERDICT_TIMEOUT,
    Shots,
    emulate_line,
    expect_certified,
    follow,
)
from .browser import enrol as _enrol

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _login_and_start(page, base_url: str, shots: Shots, before_start=None) -> None:
    """Log in, enter 资格认证 and press 开始认证 (``before_start`` runs just
    before the press: the slow-line tests slow the line there, for the frames)."""
    page.goto(base_url + "/personal/certify/login/")
    expect(page.locator("h1")).to_have_text("养老待遇资格认证登记")
    shots("01-login")
    page.get_by_label("请输入您登记的姓名").fill("杨书维")
    page.get_by_label("请输入您登记的社会保障号码").fill("43060319920301203X")
    page.locator("#cert-login-submit").click()
    expect(page.locator("#welcome")).to_have_text("欢迎回来, 杨书维。")
    shots("02-centre")
    follow(page, page.locator("#enter-cert"), "/personal/certify/")
    expect(page.locator("#start")).to_be_enabled(timeout=30_000)
    expect(page.locator("#guide")).to_be_visible()
    if before_start is not None:
        before_start()
    page.locator("#start").click()


def test_enrolled_pensioner_doing_the_actions_is_certified(
    live_server,
    launch_browser,
    fake_camera,
    webcam_man,
    personas,
    settings,
    screenshot_dir,
):
    settings.FACE_FIXED_CHALLENGE = CHALLENGE
    _enrol(personas.pensioner, webcam_man.enrolment)
    page = launch_browser().new_page(viewport={"width": 1280, "height": 900})
    # The camera page works under the Content Security Policy: nothing refused.
    refused = []
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and refused.append(m.text),
    )
    camera = fake_camera(page, webcam_man)
    shots = Shots(page, screenshot_dir, "")
    _login_and_start(page, live_server.url, shots)
    certify_page = page.context.request.get(live_server.url + "/personal/certify/")
    assert "script-src 'self'" in certify_page.headers["content-security-policy"]
    assert "camera=(self)" in certify_page.headers["permissions-policy"]
    expect(page.locator("#steps li")).to_have_count(2, timeout=30_000)
    expect(page.locator("#prompt")).to_have_text(
        re.compile("请向右转头|请点点头"), timeout=30_000
    )
    shots("04-camera-prompt")
    expect(page.locator("#verdict")).to_have_text(
        "恭喜您，认证成功", timeout=VERDICT_TIMEOUT
    )
    page.wait_for_url("**/certify/sessions/*/", timeout=30_000)
    expect(page.locator("#verdict")).to_have_text("恭喜您，认证成功")
    shots("05-verdict-success")
    # The man acted on each prompt, in the order asked, after his reaction time.
    assert camera.prompts() == CHALLENGE, camera.events
    assert all(r >= 0.79 for r in camera.reactions()), camera.events
    assert Certification.objects.filter(channel="face").count() == 1
    assert refused == []
    page.locator("#to-history").click()
    rows = page.locator("#history tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("人脸自助")
    expect(rows.first).to_contain_text("4306**********203X")
    expect(page.locator(".pager-summary")).to_have_text(
        "显示第 1 到第 1 条记录，总共 1 条记录"
    )
    shots("06-history")
    code = Certification.objects.get().receipt_code
    page.goto(f"{live_server.url}/personal/receipts/verify/?code={code}")
    expect(page.locator("#verify-result")).to_contain_text("单据有效")
    shots("07-receipt-verify")


def test_two_actions_drawn_in_random_order_are_done_when_prompted(
    live_server, launch_browser, fake_camera, webcam_man, personas, settings
):
    challenge = random.sample(sorted(webcam_man.actions), 2)
    settings.FACE_FIXED_CHALLENGE = challenge
    _enrol(personas.pensioner, webcam_man.enrolment)
    page = launch_browser().new_page(viewport={"width": 1280, "height": 900})
    camera = fake_camera(page, webcam_man)
    _login_and_start(page, live_server.url, Shots(page, None, ""))
    expect(page.locator("#verdict")).to_have_text(
        re.compile("认证"), timeout=VERDICT_TIMEOUT
    )
    assert page.locator("#verdict").text_content() == "恭喜您，认证成功", (
        challenge,
        camera.events,
    )
    assert camera.prompts() == challenge


@pytest.mark.parametrize(
    ("latency_ms", "upload_bytes_per_s", "old_fps"),
    # old_fps: the most frames a second one full-size frame in flight could bring
    # (one per 400 ms; 40 KB/s over 480 px JPEGs of about 15 KB).
    [(400, -1, 2.5), (150, 40_000, 2.7)],
    ids=["400ms-per-request", "40KB/s-upload"],
)
def test_the_actions_are_seen_over_a_slow_line(
    live_server,
    launch_browser,
    fake_camera,
    webcam_man,
    personas,
    settings,
    latency_ms,
    upload_bytes_per_s,
    old_fps,
):
    """A weak mobile signal (Chromium's network emulation). Slow requests: the
    browser sends the frames it captured meanwhile together. A thin upload that
    cannot carry them (about 2G): it sends smaller ones. Either way the engine
    sees the turn and the nod at the camera's pace; with one frame in flight
    and full-size frames both failed (没有跟着引导做动作)."""
    settings.FACE_FIXED_CHALLENGE = CHALLENGE
    _enrol(personas.pensioner, webcam_man.enrolment)
    page = launch_browser().new_page(viewport={"width": 390, "height": 844})
    camera = fake_camera(page, webcam_man)

    def slow_line():
        # From the press of 开始认证 on: the session's requests and frames (the
        # pages before it are not what this test is about).
        emulate_line(page, latency_ms, upload_bytes_per_s)

    _login_and_start(page, live_server.url, Shots(page, None, ""), slow_line)
    expect_certified(page, camera)
    session = FaceSession.objects.get()
    seconds = (session.finished_at - session.created_at).total_seconds()
    # One frame in flight reached ``old_fps``; batching carries what the camera
    # captured meanwhile, at the server's pace: 8 a second while an action is
    # asked, 2 while a prompt is held back.
    assert session.frames_seen / seconds > 1.3 * old_fps
    assert Certification.objects.filter(channel="face").count() == 1


def test_a_line_that_thins_while_a_prompt_is_held_back_gets_smaller_frames_first(
    live_server, launch_browser, fake_camera, webcam_man, personas, settings
):
    """The signal weakens (40 KB/s up) once the first prompt is held back. The
    held prompt's 2 frames a second still fit the line at full size; the 8 a
    second of the action would not, and its movement would reach the server
    too late to count as a reaction. The page measures the line on the held
    frames (the request's time less the round trip and the server's work, from
    its Server-Timing) and steps the size down before the action is asked."""
    settings.FACE_FIXED_CHALLENGE = CHALLENGE
    settings.FACE_HOLD_MIN_SECONDS = 7.0  # time enough to see the thin line
    _enrol(personas.pensioner, webcam_man.enrolment)
    page = launch_browser().new_page(viewport={"width": 390, "height": 844})
    camera = fake_camera(page, webcam_man)
    # Each camera request: the phase its answer gave, and a single frame's width.
    seen: list[tuple[str | None, int | None]] = []
    thinned: list[bool] = []

    def answered(request):
        if request.method != "POST" or "/frame" not in request.url:
            return
        phase = request.response().json().get("phase")
        body = request.post_data_buffer or b""
        width = None
        if request.headers.get("content-type") == "image/jpeg":
            width = Image.open(io.BytesIO(body)).width
        seen.append((phase, width))
        if phase == "hold" and not thinned:
            thinned.append(True)
            emulate_line(page, 150, 40_000)

    page.on("requestfinished", answered)
    _login_and_start(page, live_server.url, Shots(page, None, ""))
    expect_certified(page, camera)
    first_act = next(i for i, (phase, _) in enumerate(seen) if phase == "act")
    held = [width for phase, width in seen[:first_act] if width]
    # Full size at first; smaller before the turn was asked for.
    assert held[0] == 480, seen
    assert held[-1] < 480, seen


def test_clip_of_another_person_ends_with_the_mismatch_message(
    live_server,
    launch_browser,
    fake_camera,
    webcam_man,
    personas,
    settings,
    shared_dir,
    screenshot_dir,
):
    settings.FACE_FIXED_CHALLENGE = CHALLENGE
    _enrol(personas.pensioner, (shared_dir / "faces/obama/obama.jpg").read_bytes())
    page = launch_browser().new_page(viewport={"width": 1280, "height": 900})
    fake_camera(page, webcam_man)
    _login_and_start(page, live_server.url, Shots(page, None, ""))
    expect(page.locator("#verdict")).to_have_text(
        "认证失败，您的认证照片与建模照片不匹配，请您通过其他方式进行认证",
        timeout=VERDICT_TIMEOUT,
    )
    page.wait_for_url("**/certify/sessions/*/", timeout=30_000)
    expect(page.locator("#other-channels")).to_be_visible()
    Shots(page, screenshot_dir, "", axe=True)("08-verdict-mismatch")
    assert Certification.objects.count() == 0


def test_still_photo_as_video_ends_with_the_liveness_message(
    live_server,
    launch_browser,
    fake_camera,
    webcam_man,
    personas,
    settings,
    screenshot_dir,
):
    """One frame of the man, whatever the prompt (a photo before the camera)."""
    settings.FACE_FIXED_CHALLENGE = CHALLENGE
    settings.FACE_PER_ACTION_SECONDS = 5.0  # the failure comes sooner
    _enrol(personas.pensioner, webcam_man.enrolment)
    page = launch_browser().new_page(viewport={"width": 1280, "height": 900})
    fake_camera(page, webcam_man.still())
    _login_and_start(page, live_server.url, Shots(page, None, ""))
    expect(page.locator("#verdict")).to_have_text(
        "认证失败，您的相貌能对上，但您没有跟着引导做动作", timeout=VERDICT_TIMEOUT
    )
    page.wait_for_url("**/certify/sessions/*/", timeout=30_000)
    expect(page.locator("#retry")).to_be_visible()
    Shots(page, screenshot_dir, "", axe=True)("09-verdict-liveness")
    assert Certification.objects.count() == 0


def test_denied_camera_gets_clear_guidance_and_skip(
    live_server, launch_browser, webcam_man, personas, screenshot_dir
):
    _enrol(personas.pensioner, webcam_man.enrolment)
    page = launch_browser(deny_camera=True).new_page(
        viewport={"width": 1280, "height": 900}
    )
    page.goto(live_server.url + "/personal/certify/login/")
    page.get_by_label("请输入您登记的姓名").fill("杨书维")
    page.get_by_label("请输入您登记的社会保障号码").fill("43060319920301203X")
    page.locator("#cert-login-submit").click()
    follow(page, page.locator("#enter-cert"), "/personal/certify/")
    denied = page.locator("#camera-denied")
    expect(denied).to_be_visible(timeout=30_000)
    expect(denied).to_contain_text("您拒绝了摄像头权限")
    expect(denied).to_contain_text("地址栏左侧的摄像头或锁形图标")
    expect(page.locator("#live")).to_be_hidden()
    expect(page.locator("#skip")).to_have_text("跳过")
    Shots(page, screenshot_dir, "", axe=True)("10-camera-denied")
    page.locator("#skip").click()
    expect(page.locator("h1")).to_have_text("养老退休认证信息查询")


def test_camera_check_shows_the_preview_before_any_session(
    live_server, launch_browser, fake_camera, webcam_man, personas, screenshot_dir
):
    _enrol(personas.pensioner, webcam_man.enrolment)
    page = launch_browser().new_page(viewport={"width": 1280, "height": 900})
    fake_camera(page, webcam_man)
    page.goto(live_server.url + "/personal/certify/login/")
    page.get_by_label("请输入您登记的姓名").fill("杨书维")
    page.get_by_label("请输入您登记的社会保障号码").fill("43060319920301203X")
    page.locator("#cert-login-submit").click()
    follow(page, page.locator("#enter-cert"), "/personal/certify/")
    expect(page.locator("#check-status")).to_contain_text("摄像头正常", timeout=30_000)
    expect(page.locator("#start")).to_be_enabled()
    expect(page.locator("#skip")).to_be_visible()
    expect(page.locator("#camera-denied")).to_be_hidden()
    Shots(page, screenshot_dir, "", axe=True)("03-camera-check")
    from lifecert.certification.models import FaceSession

    assert not FaceSession.objects.exists()
