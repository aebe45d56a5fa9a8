"""Request limits, session lifetimes and privacy headers (settings.MIDDLEWARE).

Each one is small and leans on Django's own machinery: the session stays
Django's (``set_expiry``, ``flush``), login and logout are ``django.contrib.auth``'s.
"""

import re
import time
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

Handler = Callable[[HttpRequest], HttpResponseBase]

# The certification login (name + social security number) keeps the person's
# public id under this session key (lifecert.pensioner.access.SESSION_PERSON).
CERT_SESSION_KEY = "cert_person"
# The face sessions this browser session started (last few public ids), so a
# step that needs "you passed face certification" (人脸认证找回) can ask for
# one of its own, not anybody's that happened meanwhile.
FACE_SESSIONS_KEY = "face_sessions_started"

SESSION_ENDED = "由于长时间未操作或登录时间过长，您已退出登录，请重新登录。"
TOO_LARGE = "提交的内容过大，请压缩或分批后重新提交。"


@cache
def _size_limits() -> list[tuple[re.Pattern[str], int | None]]:
    return [
        (re.compile(pattern), None if limit is None else int(limit))
        for pattern, limit in settings.REQUEST_SIZE_LIMITS
    ]


def request_size_limit(path: str) -> int | None:
    """The largest body ``path`` accepts (REQUEST_SIZE_LIMITS or REQUEST_MAX_BYTES);
    None where the view checks it in its own error format (the API)."""
    for pattern, limit in _size_limits():
        if pattern.match(path):
            return limit
    return int(settings.REQUEST_MAX_BYTES)


class RequestSizeLimitMiddleware:
    """413 for a body longer than its path allows, before anything reads it.

    Runs first, so neither CSRF, the session nor the upload handlers touch a
    40 MB body: the declared ``Content-Length`` is enough to refuse it, and
    Django never reads more than that length.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = request_size_limit(request.path_info)
        if limit is not None and length > limit:
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        accept = request.META.get("HTTP_ACCEPT", "")
        wants_json = "json" in accept or "json" in request.META.get("CONTENT_TYPE", "")
        if wants_json or "text/html" not in accept:
            response: HttpResponse = JsonResponse(
                {"error": TOO_LARGE},
                status=413,
                json_dumps_params={"ensure_ascii": False},
            )
        else:
            response = HttpResponse(
                f'<!DOCTYPE html><html lang="zh-Hans"><meta charset="utf-8">'
                f"<title>提交的内容过大</title><p>{TOO_LARGE}</p></html>",
                status=413,
                content_type="text/html; charset=utf-8",
            )
        # No "Connection: close" here: WSGI forbids hop-by-hop headers (runserver
        # refuses them); the server closes or drains the unread body itself.
        return response


def _account_kind(user: Any) -> str:
    # An admin-only superuser (createsuperuser) has no kind: staff limits.
    kind = getattr(user, "kind", "") or ""
    return kind if kind in settings.SESSION_LIMITS and kind != "cert" else "staff"


def session_kind(request: HttpRequest) -> str | None:
    """Which SESSION_LIMITS apply: the account's kind, or "cert" for the
    certification login; None for a visitor who is neither."""
    user: Any = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return _account_kind(user)
    if CERT_SESSION_KEY in request.session:
        return "cert"
    return None


SESSION_CLOCK = "_lifecert_clock"
# Last activity is written at most this often, so a busy page (face frames)
# does not write its session on every request.
TOUCH_EVERY_SECONDS = 60


class SessionLimitsMiddleware:
    """Idle timeout and absolute lifetime per kind of user (SESSION_LIMITS).

    The session keeps ``{kind, started, seen}`` (server time). A session of a
    new kind (a login, a certification login) starts the clock again; past
    either limit the session is flushed (logout) and the request goes on as
    anonymous, so the page asks to log in again (with SESSION_ENDED). Django's
    own expiry of the cookie and the session row is the absolute limit; a
    certification login's cookie ends with the browser.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        self._check(request)
        response = self.get_response(request)
        self._touch(request)
        return response

    def _check(self, request: HttpRequest) -> None:
        kind = session_kind(request)
        clock = request.session.get(SESSION_CLOCK)
        if kind is None or not isinstance(clock, dict) or clock.get("kind") != kind:
            return
        idle_minutes, max_hours = settings.SESSION_LIMITS[kind]
        now = time.time()
        if (
            now - float(clock["seen"]) > idle_minutes * 60
            or now - float(clock["started"]) > max_hours * 3600
        ):
            logout(request)  # flushes the session, also for the certification login
            messages.info(request, SESSION_ENDED)

    def _touch(self, request: HttpRequest) -> None:
        # After the view: a login or certification login in this request counts.
        session = getattr(request, "session", None)
        if session is None:
            return
        kind = session_kind(request)
        if kind is None:
            if SESSION_CLOCK in session:
                del session[SESSION_CLOCK]
            return
        clock = session.get(SESSION_CLOCK)
        if not isinstance(clock, dict) or clock.get("kind") != kind:
            start_session_clock(session, kind)
        elif time.time() - float(clock["seen"]) >= TOUCH_EVERY_SECONDS:
            _set_clock(session, kind, float(clock["started"]))


def start_session_clock(session: SessionBase, kind: str) -> None:
    """A new login of ``kind``: its idle and absolute limits start now."""
    _set_clock(session, kind, time.time())


def _set_clock(session: SessionBase, kind: str, started: float) -> None:
    now = time.time()
    session[SESSION_CLOCK] = {"kind": kind, "started": started, "seen": now}
    if kind == "cert":
        session.set_expiry(0)  # the cookie ends with the browser
    else:
        # Cookie and session row go at the absolute limit; the idle limit is
        # this middleware's, so it can say why the user must log in again.
        _, max_hours = settings.SESSION_LIMITS[kind]
        session.set_expiry(max(1, int(max_hours * 3600 - (now - started))))


def start_clock_on_login(
    sender: Any, request: HttpRequest, user: Any, **_: Any
) -> None:
    """user_logged_in: the clock starts at the login (also the test client's)."""
    session = getattr(request, "session", None)
    if session is not None:
        start_session_clock(session, _account_kind(user))


class PrivacyHeadersMiddleware:
    """``Cache-Control: no-store`` on every page of a logged-in user or a
    certification login (they show personal data), and ``Permissions-Policy``
    (camera for this site only) on every response."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # No session: refused before SessionMiddleware (413), nothing personal.
        if hasattr(request, "session") and session_kind(request) is not None:
            patch_cache_control(response, no_store=True, private=True)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class MethodNotAllowedPageMiddleware:
    """A page that says what to do when a form's address is opened from the
    address bar, a bookmark or the history: Django's 405 is an empty page.
    A 405 with a body (the API's JSON) is left as it is."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code != 405
            or not isinstance(response, HttpResponse)
            or response.content
        ):
            return response
        page = render(request, "405.html", status=405)
        page["Allow"] = response.get("Allow", "")
        return page
