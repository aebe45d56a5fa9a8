"""Shared helpers of the pensioner browser tests: enrolment, and ``Shots``, which
looks at a screen at phone and laptop size: axe-core finds no serious or
critical violation, 开始认证 (when on the screen) is inside the first screen,
and with ``LIFECERT_SCREENSHOTS`` set the screen is saved."""

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from lifecert.certification.enrolment import enrol_photo
from lifecert.core.audit_actions import AuditAction
from lifecert.core.models import AuditEvent

VERDICT_TIMEOUT = 90_000  # two slow cores: be generous, never sleep
# Two actions the webcam man can do. The per-action window is the default (8 s):
# the fake person acts when prompted, as a pensioner does.
CHALLENGE = ["turn_right", "nod"]
# A phone (390×844) and the most common laptop screen (1366×768).
WIDTHS = {"desktop": (1366, 768), "phone": (390, 844)}
BLOCKING = {"serious", "critical"}
_AXE = Axe()


def enrol(person: Any, photo: bytes) -> None:
    template = enrol_photo(
        person=person,
        photo=photo,
        content_type="image/jpeg",
        acting_user=None,
    )
    assert template.status == "ready", template.failure_reason


def expect_certified(page: Any, camera: Any) -> None:
    """The verdict is 认证成功; on a failure, the engine's reason and what the
    man was asked and did when."""
    expect(page.locator("#verdict")).to_have_text(
        re.compile("认证"), timeout=VERDICT_TIMEOUT
    )
    finish = AuditEvent.objects.get(action=AuditAction.FACE_SESSION_FINISH)
    assert page.locator("#verdict").text_content() == "恭喜您，认证成功", (
        finish.after,
        camera.events,
    )


def emulate_line(page: Any, latency_ms: int, upload_bytes_per_s: int = -1) -> Any:
    """Chromium's network emulation for the page's requests from now on: a
    weak mobile signal (each request ``latency_ms`` later, the upload at
    ``upload_bytes_per_s``; -1 is no limit). The DevTools session, for more."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("Network.enable")
    devtools.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency_ms,
            "downloadThroughput": -1,
            "uploadThroughput": upload_bytes_per_s,
        },
    )
    return devtools


def follow(page: Any, link: Any, path: str, timeout: int = 30_000) -> None:
    """Click ``link`` (a locator) and wait until the page's document is ``path``.

    Twice in CI (stops 17 and 24) a click on 进入资格认证 left the page on
    用户中心 for 30 s without an error, and nothing said whether the click was lost
    or the server never answered. So: the click waits for the page to have
    loaded; the page's document requests are watched; if none was made for
    ``path`` in 10 s, the click was lost and is made once more; if the page still
    does not get there, the failure names every document request and its answer.
    """
    asked: list[Any] = []

    def seen(request: Any) -> None:
        if request.is_navigation_request() and urlparse(request.url).path == path:
            asked.append(request)

    link.wait_for()  # the page with the link has come
    page.wait_for_load_state("load")
    page.on("request", seen)
    try:
        link.click()
        try:
            page.wait_for_url(f"**{path}", wait_until="commit", timeout=10_000)
            return
        except PlaywrightTimeout:
            if not asked:
                link.click()
        try:
            page.wait_for_url(f"**{path}", wait_until="commit", timeout=timeout)
        except PlaywrightTimeout:
            answers = []
            for r in asked:
                response = r.response()
                answers.append(
                    (r.method, r.url, r.failure, response and response.status)
                )
            raise AssertionError(
                f"{path} not reached from {page.url}; its requests: {answers}"
            ) from None
    finally:
        page.remove_listener("request", seen)


def axe_violations(page: Any) -> list[str]:
    """The serious and critical axe-core violations of the page as it is now."""
    results = _AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]


def start_in_first_screen(page: Any) -> None:
    """开始认证, when the page shows it, lies wholly inside the viewport."""
    start = page.locator("#start")
    if not start.count() or not start.is_visible():
        return
    page.evaluate("window.scrollTo(0, 0)")
    box = start.bounding_box()
    view = page.viewport_size
    assert box is not None
    assert box["x"] >= 0, box
    assert box["y"] >= 0, box
    assert box["x"] + box["width"] <= view["width"], (box, view)
    assert box["y"] + box["height"] <= view["height"], (box, view)


class Shots:
    """``shots(name)``: the screen at each width in ``WIDTHS``; checked with axe
    when ``axe`` is set, saved when ``folder`` is (LIFECERT_SCREENSHOTS)."""

    def __init__(
        self, page: Any, folder: Path | None, prefix: str, *, axe: bool = False
    ) -> None:
        self.page, self.folder, self.prefix, self.axe = page, folder, prefix, axe

    def __call__(self, name: str) -> None:
        if self.folder is None and not self.axe:
            return
        for label, (width, height) in WIDTHS.items():
            self.page.set_viewport_size({"width": width, "height": height})
            start_in_first_screen(self.page)
            if self.axe:
                found = axe_violations(self.page)
                assert not found, f"{name} at {label}: {found}"
            if self.folder is not None:
                self.page.screenshot(
                    path=self.folder / f"{self.prefix}{name}-{label}.png",
                    full_page=True,
                )
        width, height = WIDTHS["desktop"]
        self.page.set_viewport_size({"width": width, "height": height})
