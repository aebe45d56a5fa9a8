"""统一身份认证 in a real browser against the real development provider:
a pensioner and a unit operator log in through it, their accounts are linked,
they certify (the pensioner by face: the webcam man of ``../shared/media`` as
a responsive fake camera, the real engine deciding), and logging out ends both
sessions."""

import copy
from typing import Any

import pytest
from playwright.sync_api import expect

from lifecert.accounts.models import ExternalIdentity
from lifecert.accounts.services import issue_authorization_code
from lifecert.certification.models import Certification, Channel
from lifecert.conftest import OidcProvider, Personas
from lifecert.demo import testing
from lifecert.pensioner.tests.browser import (
    CHALLENGE,
    Shots,
    enrol,
    expect_certified,
)

from .oidc_helpers import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(live_server: Any, start_oidc_provider: Any, settings: Any) -> OidcProvider:
    provider = start_oidc_provider(live_server.url)
    for name, value in provider.rp_settings().items():
        setattr(settings, name, value)
    # As settings.py does when OIDC_OP_LOGOUT_ENDPOINT is set at start-up: the
    # logout form's redirect to the provider is a form action.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    origin = provider.issuer.rsplit("/", 1)[0]
    policy["DIRECTIVES"]["form-action"] = ["'self'", origin]
    settings.CONTENT_SECURITY_POLICY = policy
    return provider


def _provider_login(page: Any, username: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "广东省统一身份认证平台（开发用）"
    )
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#idp-login")


def _logout_ends_both_sessions(page: Any, base: str, login_path: str) -> None:
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"{base}/")
    expect(page.locator(".msg")).to_contain_text("您已安全退出")
    # LifeCert's session is gone …
    page.goto(f"{base}{login_path}")
    # … and so is the provider's: it asks for the password again.
    page.click("#sso-login")
    expect(page.locator("#idp-login")).to_be_visible()


def test_pensioner_and_unit_operator_log_in_link_certify_and_log_out(
    live_server: Any,
    launch_browser: Any,
    personas: Personas,
    provider: OidcProvider,
    screenshot_dir: Any,
    fake_camera: Any,
    webcam_man: Any,
    settings: Any,
) -> None:
    base = live_server.url
    settings.FACE_FIXED_CHALLENGE = CHALLENGE  # actions the webcam man can do
    for index in range(2):
        person = testing.make_person(name=f"林{index}")
        testing.make_entitlement(
            person=person, region=personas.region, unit=personas.unit
        )
    enrol(personas.pensioner, webcam_man.enrolment)  # his reference photo
    browser = launch_browser()
    refused: list[str] = []

    # ---- the pensioner: linked by the ID number the provider vouches for
    page = browser.new_context().new_page()
    page.set_default_timeout(20000)
    camera = fake_camera(page, webcam_man)
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and refused.append(m.text),
    )
    page.goto(f"{base}/accounts/personal/login/")
    Shots(page, screenshot_dir, "sso-", axe=True)("personal-login")
    page.click("#sso-login")
    _provider_login(page, "43060319920301203X")
    page.wait_for_url(f"{base}/personal/")
    expect(page.locator(".msg-success")).to_contain_text("已将您的统一身份认证账号")
    link = ExternalIdentity.objects.get(kind="personal")
    assert link.user == personas.pensioner_user
    page.goto(f"{base}/personal/certify/")
    expect(page.get_by_role("heading", level=1)).to_have_text("养老待遇资格认证")
    expect(page.locator("#start")).to_be_enabled(timeout=30_000)
    page.locator("#start").click()
    expect_certified(page, camera)
    face = Certification.objects.get(channel=Channel.FACE)
    assert face.person == personas.pensioner
    assert face.operator_id == personas.pensioner_user.pk
    _logout_ends_both_sessions(page, base, "/accounts/personal/login/")

    # ---- the unit operator: linked to the unit's existing account by its
    # authorization code on first use, then certifies
    code = issue_authorization_code(unit=personas.unit, acting_user=personas.staff)
    page = browser.new_context().new_page()
    page.set_default_timeout(20000)
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and refused.append(m.text),
    )
    page.goto(f"{base}/accounts/unit/login/")
    Shots(page, screenshot_dir, "sso-", axe=True)("unit-login")
    page.click("#sso-login")
    _provider_login(page, "demo_unit")
    page.wait_for_url(f"{base}/accounts/unit/sso/link/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "统一身份认证：关联单位账号"
    )
    Shots(page, screenshot_dir, "sso-", axe=True)("unit-link")
    page.fill("input[name=unit_number]", personas.unit.number)
    page.fill("input[name=code]", code)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{base}/accounts/unit/")
    expect(page.locator(".msg-success")).to_contain_text(
        f"与单位账号 {personas.unit_user.username} 关联"
    )
    unit_link = ExternalIdentity.objects.get(kind="unit")
    assert unit_link.user == personas.unit_user

    page.click("#direct-login")
    page.click("#menu-certify")
    page.get_by_role("link", name="办结").click()
    page.get_by_role("button", name="我已阅读并同意").click()
    # The unit's two other pensioners: the one who certified by face just now
    # is not due.
    expect(page.locator(".pager-summary")).to_have_text(
        "显示第 1 到第 2 条记录，总共 2 条记录"
    )
    page.check("#select-page")
    page.get_by_role("button", name="保存").click()
    page.get_by_role("button", name="确认认证（2 人）").click()
    expect(page.locator(".msg-success")).to_have_text("认证成功，共 2 人。")
    certified = Certification.objects.filter(channel=Channel.UNIT)
    assert certified.count() == 2
    assert personas.pensioner.pk not in {c.person_id for c in certified}
    assert {c.operator_id for c in certified} == {unit_link.user_id}
    _logout_ends_both_sessions(page, base, "/accounts/unit/login/")
    assert refused == []
