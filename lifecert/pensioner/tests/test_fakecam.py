"""The responsive fake camera itself (``fake_camera``, ``fakecam.js``).

A bare page on a routed https origin (a secure context, no server) with the two
signals the camera page gives: ``#anim`` with an ``act-<action>`` class, as
camera.js does today, and ``#prompt[data-action]``.
"""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

ORIGIN = "https://fakecam.test"
PAGE = """<!doctype html><meta charset="utf-8">
<div id="anim" class="anim"></div><p id="prompt"></p>
<video id="preview" muted playsinline></video><p id="status"></p>
<script>
navigator.mediaDevices.getUserMedia({video: true}).then(async (stream) => {
  const video = document.getElementById("preview");
  video.srcObject = stream;
  await video.play();
  document.getElementById("status").textContent = "ready";
}, (err) => { document.getElementById("status").textContent = err.name; });
function grab() {
  const video = document.getElementById("preview");
  const c = document.createElement("canvas");
  c.width = video.videoWidth; c.height = video.videoHeight;
  c.getContext("2d").drawImage(video, 0, 0);
  return [c.width, c.height, c.toDataURL("image/jpeg").length];
}
</script>"""


def _open(launch_browser, fake_camera, performer, **options):
    page = launch_browser().new_page()
    page.route(
        f"{ORIGIN}/", lambda route: route.fulfill(body=PAGE, content_type="text/html")
    )
    camera = fake_camera(page, performer, **options)
    page.goto(f"{ORIGIN}/")
    return page, camera


def _stand_in(actors):
    """Two frames of the man: one for neutral, one as a 1 s 'nod'."""
    from django.conf import settings

    man = actors.webcam_man(settings.LIFECERT_SHARED_DIR)
    neutral = actors.Footage(man.neutral.frames[:2], 25.0)
    nod = actors.Footage((man.actions["nod"].frames[30],) * 25, 25.0)
    return actors.Performer("stand_in", neutral, {"nod": nod}, man.enrolment)


def test_the_camera_shows_the_performer_and_acts_on_each_signal(
    launch_browser, fake_camera, shared_dir, actors
):
    page, camera = _open(launch_browser, fake_camera, _stand_in(actors), reaction=0.3)
    expect(page.locator("#status")).to_have_text("ready", timeout=30_000)
    width, height, size = page.evaluate("grab()")  # an untainted canvas
    assert (width, height) == (480, 360)
    assert size > 1000
    # camera.js today: the class of #anim.
    page.evaluate("document.getElementById('anim').className = 'anim act-nod'")
    page.wait_for_function(
        "window.__fakecam.log.some(e => e.play === 'nod')", timeout=10_000
    )
    page.evaluate("document.getElementById('anim').className = 'anim'")
    # The redesign: #prompt[data-action] wins over the class when present.
    page.evaluate(
        "document.getElementById('anim').className = 'anim act-blink';"
        "document.getElementById('prompt').dataset.action = 'nod'"
    )
    page.wait_for_function(
        "window.__fakecam.log.filter(e => e.play === 'nod').length === 2",
        timeout=10_000,
    )
    assert camera.prompts() == ["nod", "nod"]
    first, second = camera.reactions()
    assert first == pytest.approx(0.3, abs=0.05)
    assert second >= 0.3  # or when the first nod ended


def test_an_action_the_performer_cannot_do_plays_nothing(
    launch_browser, fake_camera, shared_dir, actors
):
    page, camera = _open(launch_browser, fake_camera, _stand_in(actors))
    expect(page.locator("#status")).to_have_text("ready", timeout=30_000)
    page.evaluate("document.getElementById('anim').className = 'anim act-blink'")
    page.wait_for_function("window.__fakecam.log.length > 0", timeout=10_000)
    assert camera.events[0]["action"] == "blink"
    assert not [e for e in camera.events if "play" in e]


def test_a_denied_camera_is_refused_as_the_browser_does(
    launch_browser, fake_camera, shared_dir, actors
):
    page, _camera = _open(launch_browser, fake_camera, _stand_in(actors), deny=True)
    expect(page.locator("#status")).to_have_text("NotAllowedError", timeout=30_000)


def test_the_opening_plays_when_start_is_pressed_then_neutral_again(
    launch_browser, fake_camera, shared_dir, actors
):
    performer = _stand_in(actors)
    opening = actors.Footage((performer.actions["nod"].frames[0],) * 5, 25.0)
    page, camera = _open(launch_browser, fake_camera, performer, opening=opening)
    expect(page.locator("#status")).to_have_text("ready", timeout=30_000)
    assert not [e for e in camera.events if "play" in e]  # not before the press
    page.evaluate(
        "const b = document.createElement('button'); b.id = 'start';"
        "document.body.appendChild(b); b.click()"
    )
    page.wait_for_function(
        "window.__fakecam.log.some(e => e.play === '__opening')", timeout=10_000
    )
    assert camera.prompts() == []  # the opening is no prompt
    # A prompt during the opening waits for it to end (0.2 s here).
    page.evaluate("document.getElementById('prompt').dataset.action = 'nod'")
    page.wait_for_function(
        "window.__fakecam.log.some(e => e.play === 'nod')", timeout=10_000
    )
    plays = [e for e in camera.events if "play" in e]
    assert [e["play"] for e in plays] == ["__opening", "nod"]
    assert plays[1]["t"] - plays[0]["t"] >= 200 - 1
