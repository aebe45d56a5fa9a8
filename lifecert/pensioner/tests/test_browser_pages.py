"""The pensioner's screens in a real browser, as an 80-year-old meets them.

Prompts are heard whole and in order, in 普通话 and in 粤语 (``speechSynthesis``
replaced by a recorder that takes as long to say a line as a slow voice);
开始认证 is on the first screen of a phone and a laptop and is reached by
keyboard; every screen passes axe-core (no serious or critical violation) at
both sizes and, with ``LIFECERT_SCREENSHOTS`` set, is saved; tables become
cards on a phone; type follows the browser's font-size setting; 长辈模式 is
remembered on the device; an expired login leads back to 资格认证登记 and here.
"""

import datetime
import itertools
import re
import time

import pytest
from playwright.sync_api import expect

from lifecert.certification.models import Certification
from lifecert.demo import testing

from .browser import CHALLENGE, VERDICT_TIMEOUT, Shots, emulate_line, enrol
from .helpers import enrol_ready

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAME, SSN = "杨书维", "43060319920301203X"
ELDER = re.compile(r"(^|\s)elder(\s|$)")  # among the classes of <html>
CERTIFY = "/personal/certify/"

# speechSynthesis replaced by a recorder: a line takes SPEECH_MS_PER_CHAR a
# character (a slow voice), its start and end go to the test, and so does any
# cancel() and any line begun while another is still being said.
SPEECH_MS_PER_CHAR = 150
SPEECH_RECORDER = """
(function () {
  var busy = null;
  function report(entry) { if (window.__speech_report) window.__speech_report(entry); }
  var fake = {
    speaking: false, pending: false, paused: false,
    getVoices: function () { return []; },
    speak: function (u) {
      var line = {text: u.text, lang: u.lang, overlap: busy ? busy.text : null};
      report({event: "start", text: u.text, lang: u.lang, overlap: line.overlap,
              t: performance.now()});
      busy = line; fake.speaking = true;
      setTimeout(function () {
        report({event: "end", text: u.text, t: performance.now()});
        if (busy === line) { busy = null; fake.speaking = false; }
        if (u.onend) u.onend({});
      }, (window.__speech_ms_per_char || __MS_PER_CHAR__) * u.text.length);
    },
    cancel: function () {
      report({event: "cancel", during: busy ? busy.text : null, t: performance.now()});
    },
    pause: function () {}, resume: function () {},
    addEventListener: function () {}, removeEventListener: function () {},
  };
  Object.defineProperty(window, "speechSynthesis", {value: fake, configurable: true});
})();
""".replace("__MS_PER_CHAR__", str(SPEECH_MS_PER_CHAR))

SPOKEN = {
    "cmn": {
        "lang": "zh-CN",
        "settle": "请正对摄像头，保持不动",
        "turn_right": "请向右转头",
        "nod": "请点点头",
        "passed": "恭喜您，认证成功",
    },
    "yue": {
        "lang": "zh-HK",
        "settle": "請望住鏡頭，唔好郁",
        "turn_right": "請擰頭向右",
        "nod": "請點吓頭",
        "passed": "恭喜你，認證成功",
    },
}


def _log_in(page, base_url: str) -> None:
    page.goto(base_url + "/personal/certify/login/")
    page.get_by_label("请输入您登记的姓名").fill(NAME)
    page.get_by_label("请输入您登记的社会保障号码").fill(SSN)
    page.locator("#cert-login-submit").click()
    expect(page.locator("#welcome")).to_have_text(f"欢迎回来, {NAME}。")


def _record_speech(context, ms_per_char: int | None = None) -> list[dict]:
    lines: list[dict] = []

    def report(entry: dict) -> None:
        lines.append(entry)

    context.expose_function("__speech_report", report)
    if ms_per_char:
        context.add_init_script(script=f"window.__speech_ms_per_char = {ms_per_char};")
    context.add_init_script(script=SPEECH_RECORDER)
    return lines


@pytest.mark.parametrize("dialect", ["cmn", "yue"])
def test_prompts_are_heard_whole_and_in_order(
    live_server,
    launch_browser,
    fake_camera,
    webcam_man,
    personas,
    settings,
    dialect,
):
    settings.FACE_FIXED_CHALLENGE = CHALLENGE
    enrol(personas.pensioner, webcam_man.enrolment)
    context = launch_browser().new_context(viewport={"width": 390, "height": 844})
    fake_camera(context, webcam_man)
    events = _record_speech(context)
    page = context.new_page()
    _log_in(page, live_server.url)
    page.goto(live_server.url + CERTIFY)
    expect(page.locator("#start")).to_be_enabled(timeout=30_000)
    label = "粤语" if dialect == "yue" else "普通话"
    page.get_by_label(label).check()
    # Chosen on the camera page and remembered on this device.
    page.reload()
    expect(page.get_by_label(label)).to_be_checked()
    expect(page.locator("#voice-toggle")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#start")).to_be_enabled(timeout=30_000)
    page.locator("#start").click()
    expect(page.locator("#verdict")).to_have_text(
        "恭喜您，认证成功", timeout=VERDICT_TIMEOUT
    )
    # The result page comes only once the verdict has been said to its end.
    page.wait_for_url("**/certify/sessions/*/", timeout=30_000)

    words = SPOKEN[dialect]
    assert not [e for e in events if e["event"] == "cancel"], events
    starts = [e for e in events if e["event"] == "start"]
    ends = [e for e in events if e["event"] == "end"]
    assert not [e for e in starts if e["overlap"]], events  # never two at once
    assert {e["lang"] for e in starts} == {words["lang"]}
    # Every line said to its end, the next one begun only after it.
    assert [e["text"] for e in ends] == [e["text"] for e in starts], events
    for said, following in zip(ends, starts[1:], strict=False):
        assert said["t"] <= following["t"], (said, following)
    spoken = [e["text"] for e in starts]
    expected = [words["settle"], words["turn_right"], words["nod"], words["passed"]]
    assert spoken[0] == expected[0], spoken
    assert spoken[-1] == expected[-1], spoken
    in_order = [line for line in spoken if line in expected]
    assert in_order == expected, spoken
    # A line is never repeated back to back (each prompt once, when it changes).
    assert all(a != b for a, b in itertools.pairwise(spoken)), spoken


def test_coaching_is_spoken_once_and_a_new_prompt_drops_the_stale_one(
    live_server, launch_browser, fake_camera, webcam_man, personas, stand_in
):
    """The server's answers scripted by time (Playwright routing): dim light
    coached on every frame, then 请靠近一些 while that is still being said,
    then the first action. Dim light is said once, 请靠近一些 is dropped (the
    action supersedes it), nothing is cut off."""
    enrol_ready(personas.pensioner)
    context = launch_browser().new_context(viewport={"width": 1366, "height": 768})
    fake_camera(context, webcam_man)
    events = _record_speech(context, ms_per_char=250)
    began: list[float] = []

    def answer(route) -> None:
        if not began:
            began.append(time.monotonic())
        t = time.monotonic() - began[0]
        body = {
            "phase": "settle",
            "action_index": 0,
            "steps": 2,
            "current_action": None,
            "prompt": "请正对摄像头，保持不动",
            "done_actions": [],
            "coaching": "光线太暗，请到明亮的地方",
            "face_ok": False,
            "finished": False,
            "frame_interval_ms": 125,
        }
        if 3.5 <= t < 4.5:
            body["coaching"] = "请靠近一些"
        elif 4.5 <= t < 7.0:
            body.update(phase="act", current_action="blink", prompt="请眨眨眼")
            body["coaching"] = None
        elif t >= 7.0:
            body.update(
                phase="done",
                prompt="恭喜您，认证成功",
                coaching=None,
                finished=True,
                verdict={"code": "passed", "message": "恭喜您，认证成功"},
                result_url="/personal/",
            )
        route.fulfill(status=200, json=body)

    context.route("**/certify/sessions/*/frames/", answer)
    page = context.new_page()
    _log_in(page, live_server.url)
    page.goto(live_server.url + CERTIFY)
    expect(page.locator("#start")).to_be_enabled(timeout=30_000)
    page.locator("#start").click()
    expect(page.locator("#coaching")).to_have_text("光线太暗，请到明亮的地方")
    page.wait_for_url("**/personal/", timeout=60_000)
    starts = [e for e in events if e["event"] == "start"]
    ends = [e for e in events if e["event"] == "end"]
    assert not [e for e in events if e["event"] == "cancel"], events
    assert not [e for e in starts if e["overlap"]], events
    assert [e["text"] for e in starts] == [
        "请正对摄像头，保持不动",
        "光线太暗，请到明亮的地方",
        "请眨眨眼",
        "恭喜您，认证成功",
    ], events
    assert [e["text"] for e in ends] == [e["text"] for e in starts], events


def test_voice_switch_is_remembered_and_silences_the_prompts(
    live_server, launch_browser, fake_camera, webcam_man, personas, stand_in
):
    enrol_ready(personas.pensioner)
    context = launch_browser().new_context(viewport={"width": 1366, "height": 768})
    fake_camera(context, webcam_man)
    events = _record_speech(context)
    page = context.new_page()
    _log_in(page, live_server.url)
    page.goto(live_server.url + CERTIFY)
    toggle = page.locator("#voice-toggle")
    expect(toggle).to_have_text("语音：开")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    page.reload()
    expect(page.locator("#voice-toggle")).to_have_text("语音：关")
    expect(page.locator("#start")).to_be_enabled(timeout=30_000)
    page.locator("#start").click()
    expect(page.locator("#prompt")).to_have_text("请眨眨眼", timeout=30_000)
    assert not [e for e in events if e["event"] == "start"], events


def test_start_is_on_the_first_screen_and_reached_by_keyboard(
    live_server, launch_browser, fake_camera, webcam_man, personas, stand_in
):
    enrol_ready(personas.pensioner)
    context = launch_browser().new_context(viewport={"width": 390, "height": 844})
    fake_camera(context, webcam_man)
    page = context.new_page()
    _log_in(page, live_server.url)
    page.goto(live_server.url + CERTIFY)
    expect(page.locator("#start")).to_be_enabled(timeout=30_000)
    # On a phone and a laptop, with 长辈模式 off and on (Shots checks the box).
    Shots(page, None, "", axe=True)("camera-check")
    page.evaluate("localStorage.setItem('lifecert.elder', 'on')")
    page.reload()
    expect(page.locator("#start")).to_be_enabled(timeout=30_000)
    Shots(page, None, "", axe=True)("camera-check-elder")
    # By keyboard: 开始认证 comes before 跳过, and the focus is visible.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    reached = []
    for _ in range(20):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "document.activeElement.id || document.activeElement.textContent.trim()"
        )
        reached.append(focused)
        if focused == "start":
            break
    assert "start" in reached, reached
    assert "skip" not in reached, reached
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    # The button goes away; the focus follows the prompt the screen reader reads.
    expect(page.locator("#prompt")).to_be_focused(timeout=30_000)
    expect(page.locator("#prompt")).to_have_attribute("aria-live", "assertive")
    expect(page.locator("#coaching")).to_have_attribute("aria-live", "polite")


def test_expired_login_on_the_camera_page_leads_back_here(
    live_server, launch_browser, fake_camera, webcam_man, personas, stand_in
):
    enrol_ready(personas.pensioner)
    context = launch_browser().new_context(viewport={"width": 390, "height": 844})
    fake_camera(context, webcam_man)
    page = context.new_page()
    _log_in(page, live_server.url)
    page.goto(live_server.url + CERTIFY)
    expect(page.locator("#start")).to_be_enabled(timeout=30_000)
    csrf = [c for c in context.cookies() if c["name"] == "csrftoken"]
    context.clear_cookies()  # the login runs out while the page is open
    context.add_cookies(csrf)
    page.locator("#start").click()
    expect(page.locator("#verdict")).to_contain_text("登录已过期")
    relogin = page.locator("#relogin")
    expect(relogin).to_be_visible()
    expect(page.locator("#start")).to_be_hidden()  # no 重新开始 that fails again
    relogin.click()
    expect(page.locator("h1")).to_have_text("养老待遇资格认证登记")
    page.get_by_label("请输入您登记的姓名").fill(NAME)
    page.get_by_label("请输入您登记的社会保障号码").fill(SSN)
    page.locator("#cert-login-submit").click()
    page.wait_for_url(f"**{CERTIFY}")
    expect(page.locator("#start")).to_be_enabled(timeout=30_000)


def _session_via_api(page, tag: str) -> str:
    """Run one stand-in session from the page (``tag``: PASS, MISMATCH…)."""
    return page.evaluate(
        """async (tag) => {
          const csrf = document.cookie.split("; ").find(c => c.startsWith("csrftoken="))
            .split("=")[1];
          const headers = {"X-CSRFToken": csrf};
          const start = await (await fetch("/personal/certify/sessions/",
            {method: "POST", headers})).json();
          const body = new Uint8Array([0xff, 0xd8, 0xff, 0xe0,
            ...new TextEncoder().encode(tag)]);
          const done = await (await fetch(start.frame_url, {method: "POST",
            headers: {...headers, "Content-Type": "image/jpeg", "X-Frame-Time": "0.5"},
            body})).json();
          return done.result_url;
        }""",
        tag,
    )


def test_every_pensioner_screen_passes_axe_at_phone_and_laptop_size(
    live_server,
    launch_browser,
    fake_camera,
    webcam_man,
    personas,
    stand_in,
    screenshot_dir,
):
    enrol_ready(personas.pensioner)
    for days in (400, 30):
        testing.make_certification(
            entitlement=personas.entitlement,
            certified_at=datetime.datetime.now(tz=datetime.UTC)
            - datetime.timedelta(days=days),
            receipt_code=f"ABCDEFGHJKLMN{days:03d}".replace("0", "Z"),
        )
    context = launch_browser().new_context(viewport={"width": 1366, "height": 768})
    fake_camera(context, webcam_man)
    page = context.new_page()
    # Screens the certification flow saves already are checked, not saved again.
    check = Shots(page, None, "", axe=True)
    shots = Shots(page, screenshot_dir, "", axe=True)
    base = live_server.url
    page.goto(base + "/personal/certify/login/")
    check("01-login")
    page.locator("#cert-login-submit").click()  # empty: the errors are read out
    expect(page.locator(".error").first).to_be_visible()
    shots("01b-login-errors")
    _log_in(page, base)
    check("02-centre")
    page.goto(base + CERTIFY)
    expect(page.locator("#start")).to_be_enabled(timeout=30_000)
    check("03-camera-check")
    page.goto(base + "/personal/history/")
    check("06-history")
    page.goto(base + "/personal/receipts/verify/?code=ABCDEFGHJKLMNZ3Z")
    expect(page.locator("#verify-result")).to_contain_text("单据有效")
    check("07-receipt-verify")
    for name, tag in (
        ("05-verdict-success", "PASS"),
        ("08-verdict-mismatch", "MISMATCH"),
        ("09-verdict-liveness", "LIVENESS"),
    ):
        page.goto(base + _session_via_api(page, tag))
        expect(page.locator("#verdict")).to_be_visible()
        check(name)
    page.goto(base + CERTIFY)  # two failures and one more: blocked for today
    _session_via_api(page, "MISMATCH")
    page.goto(base + CERTIFY)
    expect(page.locator("#blocked")).to_be_visible()
    shots("11-camera-blocked")
    page.goto(base + "/accounts/password/forgot/")
    shots("12-password-forgot")
    page.goto(base + "/personal/no-such-page/")
    shots("13-not-found")
    page.evaluate("localStorage.setItem('lifecert.elder', 'on')")
    page.goto(base + "/personal/")
    shots("14-centre-elder")
    # 家属协助: the screen of a personal account.
    family = launch_browser().new_context(viewport={"width": 1366, "height": 768})
    helper_page = family.new_page()
    helper_page.goto(base + "/accounts/personal/login/")
    helper_page.locator("input[name=username]").fill(personas.pensioner_user.username)
    helper_page.locator("input[name=password]").fill(testing.TEST_PASSWORD)
    helper_page.locator("form button[type=submit]").click()
    expect(helper_page.locator("#welcome")).to_be_visible()
    helper_page.goto(base + "/personal/family/")
    Shots(helper_page, screenshot_dir, "", axe=True)("15-family")
    # A form left open too long (its CSRF token gone): the Chinese page.
    page.goto(base + "/personal/certify/login/")
    context.clear_cookies()
    page.get_by_label("请输入您登记的姓名").fill(NAME)
    page.get_by_label("请输入您登记的社会保障号码").fill(SSN)
    page.locator("#cert-login-submit").click()
    expect(page.locator("h1")).to_have_text("页面已过期，请重新提交")
    shots("16-csrf-expired")
    page.locator("#csrf-back").click()
    expect(page.locator("h1")).to_have_text("养老待遇资格认证登记")


def test_tables_become_cards_at_phone_width(
    live_server, launch_browser, personas, stand_in
):
    for days in (400, 30):
        testing.make_certification(
            entitlement=personas.entitlement,
            certified_at=datetime.datetime.now(tz=datetime.UTC)
            - datetime.timedelta(days=days),
            receipt_code=f"ABCDEFGHJKLMN{days:03d}".replace("0", "Z"),
        )
    page = launch_browser().new_page(viewport={"width": 390, "height": 844})
    _log_in(page, live_server.url)
    page.goto(live_server.url + "/personal/history/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for column in ("认证时间", "认证方式", "参保地", "回执"):
        cell = page.locator(f'#history tbody tr >> nth=0 >> td[data-label="{column}"]')
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 390, (column, box)
    expect(page.locator("#history thead")).not_to_be_in_viewport()
    expect(page.locator("#history tbody tr").first).to_contain_text("下载回执")
    page.set_viewport_size({"width": 1366, "height": 768})
    expect(page.locator("#history thead")).to_be_visible()
    assert Certification.objects.count() == 2


def test_type_follows_the_browser_font_size_and_elder_mode_is_remembered(
    live_server, launch_browser, personas
):
    context = launch_browser().new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    size = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
    page.goto(live_server.url + "/personal/certify/login/")
    assert page.evaluate(size) == 18  # 112.5% of the browser's 16 px
    devtools = context.new_cdp_session(page)
    devtools.send("Page.enable")
    devtools.send("Page.setFontSizes", {"fontSizes": {"standard": 24}})
    page.reload()
    assert page.evaluate(size) == 27  # the reader's own setting, scaled
    devtools.send("Page.setFontSizes", {"fontSizes": {"standard": 16}})
    page.reload()
    toggle = page.locator("#elder-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(page.locator("html")).to_have_class(ELDER)
    assert page.evaluate(size) == 22
    expect(page.locator(".intro")).to_be_hidden()  # fewer elements
    button = page.locator("#cert-login-submit").bounding_box()
    assert button is not None
    assert button["height"] >= 3.5 * 22 - 1
    # Remembered on this device: another page, another tab.
    other = context.new_page()
    other.goto(live_server.url + "/accounts/password/forgot/")
    expect(other.locator("html")).to_have_class(ELDER)
    other.goto(live_server.url + "/personal/certify/login/")
    expect(other.locator("#elder-toggle")).to_have_attribute("aria-pressed", "true")
    other.locator("#elder-toggle").click()
    other.reload()
    expect(other.locator("html")).not_to_have_class(ELDER)


# Every layout shift of the page (the Layout Instability API), from the start.
SHIFTS = """
window.__shifts = [];
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) {
    if (!e.hadRecentInput) window.__shifts.push(e.value);
  });
}).observe({ type: "layout-shift", buffered: true });
"""


@pytest.mark.parametrize("elder", [False, True])
def test_nothing_moves_once_a_pensioner_page_is_drawn(
    live_server, launch_browser, personas, elder
):
    # A phone on a slow line (300 ms a request): the page is drawn before its
    # deferred script has come. Nothing may move after that under a finger
    # about to tap: the 长辈模式 button, shown only once the page had been read,
    # pushed 用户中心 and 进入资格认证 down a line.
    context = launch_browser().new_context(viewport={"width": 390, "height": 844})
    context.add_init_script(SHIFTS)
    page = context.new_page()
    if elder:
        page.goto(live_server.url + "/personal/certify/login/")
        page.evaluate("localStorage.setItem('lifecert.elder', 'on')")
    _log_in(page, live_server.url)
    devtools = emulate_line(page, 300)
    devtools.send("Network.setCacheDisabled", {"cacheDisabled": True})
    for path in ("/personal/certify/login/", "/personal/"):
        page.goto(live_server.url + path, wait_until="load")
        expect(page.locator("#elder-toggle")).to_be_visible()
        expect(page.locator("#elder-toggle")).to_have_attribute(
            "aria-pressed", "true" if elder else "false"
        )
        assert page.evaluate("window.__shifts") == [], path
