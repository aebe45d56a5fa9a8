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
from lifecert.demo import testing
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


# ---------------------------------------------------------------- 统一身份认证


@dataclass
class OidcProvider:
    """A running development provider (devtools/oidc_provider)."""

    issuer: str
    discovery: dict[str, Any]
    client_id: str = "lifecert-dev"
    client_secret: str = "lifecert-dev-secret"  # noqa: S105 development only

    def rp_settings(self) -> dict[str, Any]:
        """LifeCert's settings for this provider (README: 统一身份认证)."""
        d = self.discovery
        return {
            "OIDC_RP_CLIENT_ID": self.client_id,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
            "OIDC_OP_ISSUER": d["issuer"],
            "OIDC_OP_AUTHORIZATION_ENDPOINT": d["authorization_endpoint"],
            "OIDC_OP_TOKEN_ENDPOINT": d["token_endpoint"],
            "OIDC_OP_USER_ENDPOINT": d["userinfo_endpoint"],
            "OIDC_OP_JWKS_ENDPOINT": d["jwks_uri"],
            "OIDC_OP_LOGOUT_ENDPOINT": d["end_session_endpoint"],
        }


@pytest.fixture(scope="session")
def start_oidc_provider(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., OidcProvider]]:
    """``start_oidc_provider(*rp_urls, users=["NAME:名字:ID"])``: a real
    OpenID Connect provider in a subprocess on a free loopback port.

    This process listens first and hands the socket to the child (``--fd``),
    so the discovery request simply waits in the socket's backlog until the
    provider accepts it: no port race, no polling, no sleep.
    """
    import socket
    import subprocess
    import sys

    import requests

    manage = Path(settings.BASE_DIR) / "devtools" / "oidc_provider" / "manage.py"
    running: list[subprocess.Popen[bytes]] = []

    def start(*rp_urls: str, users: tuple[str, ...] = ()) -> OidcProvider:
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        data = tmp_path_factory.mktemp("oidc-provider")
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env["IDP_DATA_DIR"] = str(data)
        command = [sys.executable, str(manage), "runprovider"]
        command += ["--fd", str(listener.fileno())]
        for url in rp_urls:
            command += ["--rp", url]
        for user in users:
            command += ["--user", user]
        with (data / "provider.log").open("wb") as log:
            process = subprocess.Popen(
                command,
                pass_fds=[listener.fileno()],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        listener.close()  # the child holds its own copy
        running.append(process)
        base = f"http://127.0.0.1:{port}/openid"
        answer = requests.get(f"{base}/.well-known/openid-configuration", timeout=120)
        answer.raise_for_status()
        return OidcProvider(issuer=base, discovery=answer.json())

    yield start
    for process in running:
        process.terminate()
        process.wait(timeout=30)


# Someone the registry does not know, for the refusal paths.
UNREGISTERED_IDENTITY = "stranger:陌生人:440106197001010014"


@pytest.fixture(scope="session")
def oidc_provider(start_oidc_provider: Callable[..., OidcProvider]) -> OidcProvider:
    """The provider for Django's test client (``http://testserver``)."""
    return start_oidc_provider("http://testserver", users=(UNREGISTERED_IDENTITY,))


@pytest.fixture
def oidc_on(settings: Settings, oidc_provider: OidcProvider) -> OidcProvider:
    """LifeCert pointed at the test provider for this test."""
    for name, value in oidc_provider.rp_settings().items():
        setattr(settings, name, value)
    return oidc_provider
