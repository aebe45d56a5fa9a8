"""Shared fixtures: the cast of named users every view test starts from."""

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from pytest_django import Settings

from lifecert.accounts.models import User
from lifecert.core import testing
from lifecert.registry.models import Entitlement, Person, Region, Unit


@dataclass
class Personas:
    region: Region
    other_region: Region
    unit: Unit
    other_unit: Unit
    pensioner: Person
    entitlement: Entitlement
    pensioner_user: User  # alice: a pensioner with a personal account
    unit_user: User  # bob: operator of ``unit``
    staff: User  # carol: staff of ``region``
    outsider_unit_user: User  # dave: operator of ``other_unit``
    outsider_staff: User  # erin: staff of ``other_region``


@pytest.fixture
def personas(db: None) -> Personas:
    region = testing.make_region("440100")
    other_region = testing.make_region("440300")
    unit = testing.make_unit(
        region=region, number="4401000001", name="广州市示例有限公司"
    )
    other_unit = testing.make_unit(
        region=other_region, number="4403000001", name="深圳市其他公司"
    )
    pensioner = testing.make_person(name="杨书维", ssn="43060319920301203X")
    entitlement = testing.make_entitlement(person=pensioner, region=region, unit=unit)
    return Personas(
        region=region,
        other_region=other_region,
        unit=unit,
        other_unit=other_unit,
        pensioner=pensioner,
        entitlement=entitlement,
        pensioner_user=testing.make_personal_user(pensioner),
        unit_user=testing.make_unit_user(unit, username="bob_unit"),
        staff=testing.make_staff_user(region, username="carol_staff"),
        outsider_unit_user=testing.make_unit_user(other_unit, username="dave_unit"),
        outsider_staff=testing.make_staff_user(other_region, username="erin_staff"),
    )


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shared_dir() -> Path:
    """The test photos and clips beside the project (LIFECERT_SHARED_DIR)."""
    path = Path(settings.LIFECERT_SHARED_DIR)
    if not (path / "faces").is_dir():
        pytest.skip(f"test data folder not found: {path} (set LIFECERT_SHARED_DIR)")
    return path


# ---------------------------------------------------------------- browser tests

# Playwright's sync API runs an event loop in the test thread; the test's own
# ORM calls are still synchronous, so Django's async guard must stand aside.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("LIFECERT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Debian chromium not found at {CHROMIUM}: apt-get install chromium"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def launch_browser(playwright_instance: Any) -> Iterator[Callable[..., Any]]:
    """Start Debian's chromium; ``camera`` is a .y4m file fed as the webcam
    (looped by chromium: a replay; tests of a person use ``fake_camera``).

    ``camera=None`` with ``deny_camera=True`` starts a browser whose camera
    permission is refused, as a user who clicked "block" would.
    """
    browsers: list[Any] = []

    def launch(*, camera: Path | None = None, deny_camera: bool = False) -> Any:
        args = list(CHROMIUM_ARGS)
        if camera is not None:
            args += [
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={camera}",
            ]
            if not deny_camera:
                args.append("--use-fake-ui-for-media-stream")
        elif deny_camera:
            args.append("--use-fake-device-for-media-stream")
        browser = playwright_instance.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=args
        )
        browsers.append(browser)
        return browser

    yield launch
    for browser in browsers:
        browser.close()


@pytest.fixture
def screenshot_dir() -> Path | None:
    """Where browser tests save screenshots (the LIFECERT_SCREENSHOTS folder)."""
    target = os.environ.get("LIFECERT_SCREENSHOTS")
    if not target:
        return None
    path = Path(target)
    path.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------- fake camera

FAKECAM_JS = Path(__file__).parent / "pensioner" / "tests" / "fakecam.js"
OPENING = "__opening"  # the segment name of ``fake_camera(opening=...)``


@dataclass
class FakeCamera:
    """A responsive fake camera installed in a browser context (``fake_camera``).

    ``events``: what the camera saw and did on every page, in order:
    ``{"t", "action"}`` for each prompt (``action`` None when it went away) and
    ``{"t", "play"}`` for each segment scheduled; ``t`` in the page's ms.
    """

    context: Any
    events: list[dict[str, Any]]

    def prompts(self) -> list[str]:
        return [e["action"] for e in self.events if e.get("action")]

    def reactions(self) -> list[float]:
        """Seconds from each prompt to the segment it started."""
        out, prompted = [], None
        for e in self.events:
            if "action" in e:
                prompted = e
            elif prompted and prompted["action"] == e["play"]:
                out.append((e["t"] - prompted["t"]) / 1000)
                prompted = None
        return out


@pytest.fixture
def fake_camera() -> Callable[..., FakeCamera]:
    """Install a responsive fake camera playing ``performer`` (an
    ``faceverify.actors.Performer``): ``fake_camera(page_or_context, performer,
    reaction=0.8, retry=2.5, deny=False)``, before the first ``goto``.

    ``getUserMedia`` gets a canvas stream of the performer's neutral frames; when
    the page prompts an action, after ``reaction`` seconds, that action's real
    segment (see ``pensioner/tests/fakecam.js``). ``retry=None``: never repeats
    an action still prompted. ``deny=True``: the camera permission is refused.
    ``opening`` (a ``Footage``): played when 开始认证 is pressed, before the
    neutral frames resume (a session begun in another pose).
    """

    def install(
        target: Any,
        performer: Any,
        *,
        reaction: float = 0.8,
        retry: float | None = 2.5,
        deny: bool = False,
        opening: Any = None,
    ) -> FakeCamera:
        context = target if not hasattr(target, "goto") else target.context
        actions = dict(performer.actions)
        if opening is not None:
            actions[OPENING] = opening
        footage = {"neutral": performer.neutral, **actions}

        def serve(route: Any) -> None:
            name, _, index = route.request.url.split("/__fakecam/", 1)[1].partition("/")
            frames = footage[name].frames
            route.fulfill(
                status=200,
                content_type="image/jpeg",
                body=frames[int(index.removesuffix(".jpg"))],
            )

        context.route("**/__fakecam/**", serve)
        config = {
            "base": "/__fakecam/",
            "neutral": {
                "count": len(performer.neutral.frames),
                "fps": performer.neutral.fps,
            },
            "actions": {
                name: {"count": len(f.frames), "fps": f.fps}
                for name, f in actions.items()
            },
            "reaction_ms": reaction * 1000,
            "retry_ms": None if retry is None else retry * 1000,
            "deny": deny,
            "opening": OPENING if opening is not None else None,
        }
        script = FAKECAM_JS.read_text().replace(
            "__FAKECAM_CONFIG__", json.dumps(config)
        )
        events: list[dict[str, Any]] = []

        def report(entry: dict[str, Any]) -> None:
            events.append(entry)

        context.expose_function("__fakecam_report", report)
        context.add_init_script(script=script)
        return FakeCamera(context, events)

    return install


@pytest.fixture
def stand_in() -> Iterator[Any]:
    """Swap the face engine for the stand-in (view plumbing only)."""
    from lifecert.certification import face
    from lifecert.pensioner.tests.helpers import StandInBackend

    backend = StandInBackend()
    with face.use_backend(backend):
        yield backend
