"""统一身份认证 against the real development provider (no mocked tokens)."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from lifecert.accounts.identities import NOT_REGISTERED
from lifecert.accounts.models import AuthorizationCode, ExternalIdentity, User
from lifecert.accounts.oidc import NO_PENDING, NOT_DONE, SESSION_PENDING, UNAVAILABLE
from lifecert.accounts.services import CODE_WRONG, issue_authorization_code
from lifecert.conftest import OidcProvider, Personas
from lifecert.core.middleware import SESSION_CLOCK
from lifecert.core.models import AuditEvent
from lifecert.demo import testing

from .oidc_helpers import provider_login, sso_login

PENSIONER = "43060319920301203X"


def _messages(response: object) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)  # type: ignore[attr-defined]


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# ---------------------------------------------------------------- switched off


def test_without_a_provider_there_is_no_button_and_no_flow(
    client: Client, db: None
) -> None:
    page = client.get(reverse("accounts:personal-login")).content.decode()
    assert "统一身份认证" not in page
    start = client.get(reverse("accounts:oidc-start", args=["personal"]))
    assert start.status_code == 404
    assert client.get(reverse("accounts:oidc-callback")).status_code == 404


def test_a_password_login_never_reaches_the_token_endpoint(
    client: Client, personas: Personas, oidc_on: OidcProvider, settings: Settings
) -> None:
    # A closed port: any call to it would fail the login.
    settings.OIDC_OP_TOKEN_ENDPOINT = "http://127.0.0.1:9/token"
    response = client.post(
        reverse("accounts:personal-login") + "?code=x&state=y",
        {"username": PENSIONER, "password": testing.TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("pensioner:centre")


# ---------------------------------------------------------------- personal


def test_the_buttons_show_on_the_personal_and_unit_login_pages_only(
    client: Client, db: None, oidc_on: OidcProvider
) -> None:
    for name in ("accounts:personal-login", "accounts:unit-login"):
        assert 'id="sso-login"' in client.get(reverse(name)).content.decode()
    staff = client.get(reverse("accounts:staff-login")).content.decode()
    assert 'id="sso-login"' not in staff


def test_a_pensioner_is_linked_by_id_number_on_first_use_then_logs_straight_in(
    client: Client, personas: Personas, oidc_on: OidcProvider
) -> None:
    response, browser = sso_login(client, "personal", PENSIONER)
    assert response.status_code == 302
    assert response["Location"] == reverse("pensioner:centre")
    assert "已将您的统一身份认证账号与本平台账号关联" in _messages(response)
    assert int(client.session[SESSION_KEY]) == personas.pensioner_user.pk
    assert client.session[SESSION_CLOCK]["kind"] == "personal"  # its session limits
    link = ExternalIdentity.objects.get()
    assert link.user == personas.pensioner_user
    assert link.issuer == oidc_on.issuer
    assert link.kind == "personal"
    assert _actions() == ["identity.link", "account.password_retire", "identity.login"]
    assert client.get(reverse("pensioner:centre")).status_code == 200
    # Again, in a new LifeCert session: the link is found, nothing new is made.
    again = Client()
    response, _ = sso_login(again, "personal", PENSIONER, browser)
    assert response["Location"] == reverse("pensioner:centre")
    assert "关联" not in _messages(response)
    assert ExternalIdentity.objects.count() == 1
    assert _actions()[-1] == "identity.login"


def test_a_number_someone_else_registered_loses_its_password_at_the_first_link(
    client: Client, db: None, oidc_on: OidcProvider
) -> None:
    # A squatter registers the pensioner's number with name + number alone
    # (no proof of who they are) and stays logged in.
    person = testing.make_person(name="杨书维", ssn=PENSIONER)
    testing.make_entitlement(person=person)
    squatter = Client()
    registered = squatter.post(
        reverse("accounts:personal-register"),
        {
            "name": "杨书维",
            "ssn": PENSIONER,
            "phone": "13800000001",
            "password1": "Squat-2026-taken",
            "password2": "Squat-2026-taken",
        },
    )
    assert registered.status_code == 302, registered.content.decode()[:2000]
    assert squatter.get(reverse("pensioner:centre")).status_code == 200
    account = User.objects.get(username=PENSIONER)
    assert account.has_usable_password()
    # The pensioner comes through 统一身份认证, which vouches for the number.
    response, _ = sso_login(client, "personal", PENSIONER)
    assert response["Location"] == reverse("pensioner:centre")
    said = _messages(response)
    assert "已将您的统一身份认证账号与本平台账号关联" in said
    assert "原来的登录密码已失效" in said
    account.refresh_from_db()
    assert not account.has_usable_password()
    retired = AuditEvent.objects.get(action="account.password_retire")
    assert retired.target_id == str(account.public_id)
    # The squatter's session and password open nothing any more.
    assert squatter.get(reverse("pensioner:centre")).status_code == 302
    relogin = Client().post(
        reverse("accounts:personal-login"),
        {"username": PENSIONER, "password": "Squat-2026-taken"},
    )
    assert SESSION_KEY not in relogin.wsgi_request.session
    # The pensioner sets a password without the old one, and it works.
    page = client.get(reverse("accounts:password")).content.decode()
    assert "设置登录密码" in page
    assert 'name="old_password"' not in page
    changed = client.post(
        reverse("accounts:password"),
        {"password1": "Mine-2026-yang-sw", "password2": "Mine-2026-yang-sw"},
    )
    assert changed.status_code == 302
    assert client.get(reverse("pensioner:centre")).status_code == 200
    own = Client().post(
        reverse("accounts:personal-login"),
        {"username": PENSIONER, "password": "Mine-2026-yang-sw"},
    )
    assert int(own.wsgi_request.session[SESSION_KEY]) == account.pk
    # A second unified login finds the link and retires nothing again.
    response, _ = sso_login(Client(), "personal", PENSIONER)
    assert "失效" not in _messages(response)
    assert AuditEvent.objects.filter(action="account.password_retire").count() == 1


def test_a_registered_pensioner_without_an_account_gets_one_without_password(
    client: Client, db: None, oidc_on: OidcProvider
) -> None:
    person = testing.make_person(name="杨书维", ssn=PENSIONER)
    testing.make_entitlement(person=person)
    response, _ = sso_login(client, "personal", PENSIONER)
    assert response["Location"] == reverse("pensioner:centre")
    user = User.objects.get(username=PENSIONER)
    assert user.person == person
    assert user.kind == "personal"
    assert not user.has_usable_password()
    assert _actions() == ["account.register", "identity.link", "identity.login"]


def test_an_identity_the_registry_does_not_know_is_refused_and_audited(
    client: Client, personas: Personas, oidc_on: OidcProvider
) -> None:
    response, _ = sso_login(client, "personal", "stranger")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:personal-login")
    assert NOT_REGISTERED in _messages(response)
    assert SESSION_KEY not in client.session
    assert not ExternalIdentity.objects.exists()
    refused = AuditEvent.objects.get(action="identity.refused")
    assert refused.after["kind"] == "personal"


def test_a_linked_account_that_was_retired_cannot_log_in(
    client: Client, personas: Personas, oidc_on: OidcProvider
) -> None:
    sso_login(Client(), "personal", PENSIONER)
    personas.pensioner_user.is_active = False
    personas.pensioner_user.save(update_fields=["is_active"])
    response, _ = sso_login(client, "personal", PENSIONER)
    assert response["Location"] == reverse("accounts:personal-login")
    assert "已停用" in _messages(response)
    assert SESSION_KEY not in client.session


# ---------------------------------------------------------------- unit


def _link(client: Client, unit: object, code: str) -> object:
    return client.post(
        reverse("accounts:unit-sso-link"),
        {"unit_number": unit.number, "code": code},  # type: ignore[attr-defined]
    )


def test_a_unit_identity_is_linked_to_the_units_existing_account_by_its_code(
    client: Client, personas: Personas, oidc_on: OidcProvider
) -> None:
    accounts = User.objects.count()
    response, _ = sso_login(client, "unit", "demo_unit")
    # First use: nobody is logged in, no account is made; the code is asked for.
    assert response["Location"] == reverse("accounts:unit-sso-link")
    assert SESSION_KEY not in client.session
    assert User.objects.count() == accounts
    assert not ExternalIdentity.objects.exists()
    page = client.get(reverse("accounts:unit-sso-link")).content.decode()
    assert "王经办，这是您第一次使用统一身份认证登录单位服务" in page
    empty = client.post(reverse("accounts:unit-sso-link"), {})
    assert empty.status_code == 200
    assert not ExternalIdentity.objects.exists()
    code = issue_authorization_code(unit=personas.unit, acting_user=personas.staff)
    linked = _link(client, personas.unit, code)
    assert linked["Location"] == reverse("accounts:unit-home")  # type: ignore[index]
    assert "与单位账号 bob_unit 关联" in _messages(linked)
    assert int(client.session[SESSION_KEY]) == personas.unit_user.pk
    assert User.objects.count() == accounts
    link = ExternalIdentity.objects.get()
    assert (link.kind, link.user) == ("unit", personas.unit_user)
    assert AuthorizationCode.objects.get().used_by == personas.unit_user
    assert _actions()[-3:] == ["authcode.used", "identity.link", "identity.login"]
    assert AuditEvent.objects.get(action="identity.link").after["unit"] == (
        personas.unit.number
    )
    assert client.get(reverse("employer:index")).status_code == 200
    # Next time: straight in, to the same account, no code.
    again, _ = sso_login(Client(), "unit", "demo_unit")
    assert again["Location"] == reverse("accounts:unit-home")
    assert ExternalIdentity.objects.count() == 1


def test_a_wrong_code_links_nothing_and_says_what_to_do(
    client: Client, personas: Personas, oidc_on: OidcProvider
) -> None:
    sso_login(client, "unit", "demo_unit")
    issue_authorization_code(unit=personas.unit, acting_user=personas.staff)
    response = _link(client, personas.unit, "AAAA-BBBB-CCCC-DDDD")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert CODE_WRONG in response.content.decode()  # type: ignore[attr-defined]
    assert SESSION_KEY not in client.session
    assert not ExternalIdentity.objects.exists()
    failure = AuditEvent.objects.get(action="authcode.failure")
    assert failure.after == {"unit_number": personas.unit.number, "via": "统一身份认证"}


def test_the_link_page_needs_the_providers_answer_first(
    client: Client, personas: Personas, oidc_on: OidcProvider
) -> None:
    response = client.get(reverse("accounts:unit-sso-link"))
    assert response["Location"] == reverse("accounts:unit-login")
    assert NO_PENDING in _messages(response)
    # A pending identity older than PENDING_SECONDS is forgotten.
    session = client.session
    session[SESSION_PENDING] = {"issuer": "i", "subject": "s", "name": "", "at": 0}
    session.save()
    code = issue_authorization_code(unit=personas.unit, acting_user=personas.staff)
    late = _link(client, personas.unit, code)
    assert late["Location"] == reverse("accounts:unit-login")  # type: ignore[index]
    assert SESSION_PENDING not in client.session
    assert not ExternalIdentity.objects.exists()


def test_the_same_person_has_separate_links_for_each_side(
    db: None, personas: Personas, oidc_on: OidcProvider
) -> None:
    sso_login(Client(), "personal", PENSIONER)
    client = Client()
    response, _ = sso_login(client, "unit", PENSIONER)
    assert response["Location"] == reverse("accounts:unit-sso-link")
    code = issue_authorization_code(unit=personas.unit, acting_user=personas.staff)
    _link(client, personas.unit, code)
    kinds = sorted(ExternalIdentity.objects.values_list("kind", flat=True))
    assert kinds == ["personal", "unit"]


# ---------------------------------------------------------------- logout


def test_logout_ends_the_providers_session_too(
    client: Client, personas: Personas, oidc_on: OidcProvider
) -> None:
    _, browser = sso_login(client, "personal", PENSIONER)
    logout = client.post(reverse("accounts:logout"))
    assert SESSION_KEY not in client.session
    target = urlsplit(logout["Location"])
    assert logout["Location"].startswith(oidc_on.discovery["end_session_endpoint"])
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/"]
    assert query["id_token_hint"]
    # The browser follows it: the provider ends its session and sends it home.
    ended = browser.get(logout["Location"], allow_redirects=False, timeout=30)
    assert ended.status_code == 302
    assert ended.headers["Location"] == "http://testserver/"
    # Next time the provider asks for the password again.
    start = client.get(reverse("accounts:oidc-start", args=["personal"]))
    asked = browser.get(start["Location"], allow_redirects=False, timeout=30)
    assert "/accounts/login/" in asked.headers["Location"]


def test_a_password_logout_goes_home_as_before(
    client: Client, personas: Personas, oidc_on: OidcProvider
) -> None:
    client.force_login(personas.pensioner_user)
    assert client.post(reverse("accounts:logout"))["Location"] == reverse("home")


# ---------------------------------------------------------------- refusals


def test_a_token_from_another_issuer_is_refused(
    client: Client, personas: Personas, oidc_on: OidcProvider, settings: Settings
) -> None:
    settings.OIDC_OP_ISSUER = "http://127.0.0.1:1/openid"
    response, _ = sso_login(client, "personal", PENSIONER)
    assert response.status_code == 400  # SuspiciousOperation
    assert SESSION_KEY not in client.session


def test_a_token_for_another_client_is_refused(
    client: Client, personas: Personas, oidc_on: OidcProvider, settings: Settings
) -> None:
    import jwt
    from django.core.exceptions import SuspiciousOperation

    from lifecert.accounts.oidc import SESSION_ID_TOKEN, LifeCertOIDCBackend

    sso_login(client, "personal", PENSIONER)
    token = client.session[SESSION_ID_TOKEN]  # a real ID token, for our client
    nonce = jwt.decode(token, options={"verify_signature": False})["nonce"]
    assert LifeCertOIDCBackend().verify_token(token, nonce=nonce)["sub"]
    settings.OIDC_RP_CLIENT_ID = "another-client"
    with pytest.raises(SuspiciousOperation, match="another client"):
        LifeCertOIDCBackend().verify_token(token, nonce=nonce)


def test_a_provider_that_cannot_be_reached_is_said_in_chinese(
    client: Client, personas: Personas, oidc_on: OidcProvider, settings: Settings
) -> None:
    start = client.get(reverse("accounts:oidc-start", args=["unit"]))
    back = provider_login(requests.Session(), start["Location"], "demo_unit")
    settings.OIDC_OP_TOKEN_ENDPOINT = "http://127.0.0.1:9/token"  # nothing there
    parts = urlsplit(back)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response["Location"] == reverse("accounts:unit-login")
    assert UNAVAILABLE in _messages(response)


def test_a_login_cancelled_at_the_provider_returns_to_the_login_page(
    client: Client, db: None, oidc_on: OidcProvider
) -> None:
    client.get(reverse("accounts:oidc-start", args=["unit"]))
    response = client.get(
        reverse("accounts:oidc-callback"), {"error": "access_denied", "state": "x"}
    )
    assert response["Location"] == reverse("accounts:unit-login")
    assert NOT_DONE in _messages(response)


def test_only_the_personal_and_unit_sides_have_the_button(
    client: Client, db: None, oidc_on: OidcProvider
) -> None:
    assert client.get(reverse("accounts:oidc-start", args=["staff"])).status_code == 404


def test_the_link_service_refuses_another_side_and_a_missing_number(db: None) -> None:
    from lifecert.accounts.identities import (
        Claims,
        IdentityRefused,
        login_with_identity,
    )

    claims = Claims(issuer="http://idp", subject="1", name="某人")
    with pytest.raises(IdentityRefused, match="个人服务或单位服务"):
        login_with_identity(kind="staff", claims=claims)
    with pytest.raises(IdentityRefused, match="没有提供您的身份证号码"):
        login_with_identity(kind="personal", claims=claims)
    assert _actions() == ["identity.refused", "identity.refused"]


# ---------------------------------------------------------------- settings


def _settings_in_subprocess(**env: str) -> "subprocess.CompletedProcess[str]":
    code = (
        "from django.conf import settings;"
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[3],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "lifecert.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_configured_provider_may_receive_the_logout_form(
    oidc_provider: OidcProvider,
) -> None:
    env = {k: str(v) for k, v in oidc_provider.rp_settings().items()}
    result = _settings_in_subprocess(**env)
    origin = oidc_provider.issuer.rsplit("/", 1)[0]
    assert result.stdout.strip() == f"[\"'self'\", '{origin}']", result.stderr


def test_a_client_id_without_the_providers_endpoints_refuses_to_start() -> None:
    result = _settings_in_subprocess(OIDC_RP_CLIENT_ID="lifecert")
    assert result.returncode != 0
    assert "OIDC_OP_ISSUER" in result.stderr


# ---------------------------------------------------------------- the same limits


def test_the_idle_limit_ends_a_unified_login_as_any_other(
    client: Client, personas: Personas, oidc_on: OidcProvider, settings: Settings
) -> None:
    import datetime

    import time_machine

    sso_login(client, "personal", PENSIONER)
    idle_minutes, _ = settings.SESSION_LIMITS["personal"]
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(
        minutes=idle_minutes + 1
    )
    with time_machine.travel(later):
        response = client.get(reverse("pensioner:history"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_an_address_locked_by_django_axes_cannot_use_the_unified_login(
    client: Client, personas: Personas, oidc_on: OidcProvider, settings: Settings
) -> None:
    from axes.models import AccessAttempt
    from django.utils import timezone

    # Failed unified logins count per address (no username is typed).
    AccessAttempt.objects.create(
        username=None,
        ip_address="127.0.0.1",
        user_agent="",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/oidc/callback/",
        attempt_time=timezone.now(),
    )
    response, _ = sso_login(client, "personal", PENSIONER)
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    assert not AuditEvent.objects.filter(action="identity.login").exists()
