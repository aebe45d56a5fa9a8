"""Sessions, headers and request limits (issue 11, item 3): each hole seen is a test."""

import datetime
import io
import json
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.urls import reverse
from django.utils import timezone

from lifecert.core.middleware import SESSION_ENDED, request_size_limit
from lifecert.demo import testing
from lifecert.pensioner.access import SESSION_PERSON

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
CENTRE = reverse("pensioner:centre")
CERT_LOGIN = reverse("pensioner:cert-login")


def _later(**delta: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(**delta)


# ---------------------------------------------------------------- session limits


def test_a_personal_session_ends_after_its_idle_timeout(client, personas):
    idle, _ = django_settings.SESSION_LIMITS["personal"]
    client.force_login(personas.pensioner_user)
    assert client.get(CENTRE).status_code == 200
    with time_machine.travel(_later(minutes=idle - 1), tick=False):
        assert client.get(CENTRE).status_code == 200  # activity: the clock restarts
    with time_machine.travel(_later(minutes=2 * idle - 3), tick=False):
        assert client.get(CENTRE).status_code == 200
    with time_machine.travel(_later(minutes=3 * idle), tick=False):
        response = client.get(CENTRE, follow=True)
        assert response.redirect_chain[0][0].startswith(CERT_LOGIN)
        assert SESSION_ENDED in response.content.decode()
        assert "_auth_user_id" not in client.session


def test_an_active_session_still_ends_at_its_absolute_lifetime(client, personas):
    idle, hours = django_settings.SESSION_LIMITS["unit"]
    client.force_login(personas.unit_user)
    page = reverse("employer:index")
    step = (idle - 1) * 60
    elapsed = 0
    while elapsed + step < hours * 3600:
        elapsed += step
        with time_machine.travel(_later(seconds=elapsed), tick=False):
            assert client.get(page).status_code == 200
    with time_machine.travel(_later(seconds=hours * 3600 + 60), tick=False):
        response = client.get(page)
        assert response.status_code == 302  # back to the login page
        assert "_auth_user_id" not in client.session


def test_the_session_cookie_of_an_account_ends_at_its_absolute_lifetime(
    client, personas
):
    _, hours = django_settings.SESSION_LIMITS["staff"]
    client.force_login(personas.staff)
    with time_machine.travel(_later(minutes=5), tick=False):
        response = client.get(reverse("backoffice:index"))
    assert response.status_code == 200
    assert hours * 3600 - 6 * 60 <= response.cookies["sessionid"]["max-age"]
    assert response.cookies["sessionid"]["max-age"] <= hours * 3600 - 4 * 60


def test_the_certification_login_ends_with_the_browser(client, personas):
    response = client.post(CERT_LOGIN, {"name": "杨书维", "ssn": "43060319920301203X"})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    idle, _ = django_settings.SESSION_LIMITS["cert"]
    with time_machine.travel(_later(minutes=idle + 1), tick=False):
        assert client.get(CENTRE).status_code == 302
        assert SESSION_PERSON not in client.session


def test_default_limits_are_short_and_no_session_outlives_a_day():
    limits = django_settings.SESSION_LIMITS
    assert set(limits) == {"personal", "unit", "staff", "cert"}
    assert all(idle <= 30 and hours <= 12 for idle, hours in limits.values())
    assert django_settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert django_settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("pensioner_user", "pensioner:centre"),
        ("pensioner_user", "pensioner:history"),
        ("unit_user", "employer:index"),
        ("unit_user", "employer:roster"),
        ("staff", "backoffice:person-list"),
    ],
)
def test_pages_of_a_logged_in_user_are_not_stored(client, personas, who, url):
    client.force_login(getattr(personas, who))
    if who == "unit_user":
        from lifecert.employer import services

        services.accept_commitment(
            acting_user=personas.unit_user,
            binding=personas.unit_user.bindings.get(),
            ip=None,
        )
    response = client.get(reverse(url))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_pages_of_the_certification_login_are_not_stored(client, personas):
    client.post(CERT_LOGIN, {"name": "杨书维", "ssn": "43060319920301203X"})
    response = client.get(CENTRE)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_every_page_limits_the_camera_to_this_site_and_sends_csp(client):
    response = client.get(reverse("home"))
    assert "camera=(self)" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "no-store" not in response.get("Cache-Control", "")  # nothing personal


def test_no_template_carries_inline_script_style_or_handlers():
    """The CSP forbids them: each would silently stop working."""
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|<style|javascript:",
        re.IGNORECASE,
    )
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for match in inline.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


# ---------------------------------------------------------------- request size


class _Unreadable(io.RawIOBase):
    """A request body that must never be read."""

    def read(self, *args, **kwargs):  # pragma: no cover - failing is the point
        raise AssertionError("the body was read")

    readline = readinto = read


def _raw_post(path: str, length: int, accept: str = "text/html") -> tuple[str, bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "HTTP_ACCEPT": accept,
        "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
        "CONTENT_LENGTH": str(length),
        "wsgi.input": _Unreadable(),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    status: list[str] = []
    body = b"".join(
        WSGIHandler()(environ, lambda s, headers, *_: status.append(s))  # type: ignore[arg-type]
    )
    return status[0], body


def test_an_anonymous_40_mb_upload_is_refused_before_it_is_read():
    status, body = _raw_post(reverse("accounts:personal-login"), 40 * 1024 * 1024)
    assert status.startswith("413")
    assert "提交的内容过大" in body.decode()


def test_a_frame_batch_too_large_is_refused_with_json_before_it_is_read():
    path = reverse(
        "pensioner:session-frame", args=["0" * 8 + "-0000-0000-0000-" + "0" * 12]
    )
    limit = (
        django_settings.FACE_MAX_FRAME_BYTES * django_settings.FACE_MAX_BATCH_FRAMES
        + 64 * 1024
    )
    assert request_size_limit(path) == limit
    status, body = _raw_post(path, limit + 1, accept="application/json")
    assert status.startswith("413")
    assert json.loads(body)["error"].startswith("提交的内容过大")


def test_legitimate_sizes_pass_the_limit():
    zero = "00000000-0000-0000-0000-000000000000"
    assert request_size_limit(reverse("backoffice:import")) >= 20 * 1024 * 1024
    assert request_size_limit(
        reverse("backoffice:evidence-import", args=["death"])
    ) == request_size_limit(reverse("backoffice:import"))
    assert (
        request_size_limit(reverse("backoffice:person-photo", args=[zero]))
        > 10 * 1024 * 1024
    )
    assert request_size_limit(reverse("accounts:personal-login")) < 1024 * 1024


def test_a_full_frame_batch_reaches_the_view(client, personas):
    """At the limit the request goes on to the view (403/404 there, not 413)."""
    zero = "00000000-0000-0000-0000-000000000000"
    path = reverse("pensioner:session-frame", args=[zero])
    body = b"x" * (request_size_limit(path) - 1024)
    response = client.post(path, data=body, content_type="application/octet-stream")
    assert response.status_code != 413


# ---------------------------------------------------------------- passwords


def test_password_equal_to_the_username_is_refused_in_chinese(client):
    response = client.post(
        reverse("accounts:unit-register"),
        {
            "username": "gz_hr_2026",
            "password1": "gz_hr_2026",
            "password2": "gz_hr_2026",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "太相似" in html
    assert "too similar" not in html


def test_personal_password_like_the_number_or_short_is_refused_in_chinese(client):
    person = testing.make_person(name="李秀英")
    testing.make_entitlement(person=person)
    data = {"name": "李秀英", "ssn": person.ssn, "phone": "13800138001"}
    response = client.post(
        reverse("accounts:personal-register"),
        {**data, "password1": person.ssn, "password2": person.ssn},
    )
    html = response.content.decode()
    assert "太相似" in html
    response = client.post(
        reverse("accounts:personal-register"),
        {**data, "password1": "Ab1-x", "password2": "Ab1-x"},
    )
    html = response.content.decode()
    assert "密码太短，至少需要 8 个字符" in html
    assert "This password" not in html


def test_password_change_refuses_the_username(client, personas):
    client.force_login(personas.unit_user)
    response = client.post(
        reverse("accounts:password"),
        {
            "old_password": testing.TEST_PASSWORD,
            "password1": "bob_unit",
            "password2": "bob_unit",
        },
    )
    assert response.status_code == 200
    assert "太相似" in response.content.decode()
