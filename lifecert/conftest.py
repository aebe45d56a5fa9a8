"""Shared fixtures: the cast of named users every view test starts from."""

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
from lifecert.pensioner.tests.fakecam import FakeCamera, install_fake_camera
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


@pytest.fixture
def fake_camera() -> Callable[..., FakeCamera]:
    """Install a responsive fake camera playing ``performer`` (an
    ``faceverify.actors.Performer``): ``fake_camera(page_or_context, performer,
    reaction=0.8, retry=2.5, deny=False, opening=None)``, before the first
    ``goto`` (``lifecert.pensioner.tests.fakecam.install_fake_camera``)."""
    return install_fake_camera


@pytest.fixture
def stand_in() -> Iterator[Any]:
    """Swap the face engine for the stand-in (view plumbing only)."""
    from lifecert.certification import face
    from lifecert.pensioner.tests.helpers import StandInBackend

    backend = StandInBackend()
    with face.use_backend(backend):
        yield backend
