from urllib.parse import urlsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` target of a form or link when it is a path on this site.

    Only a path (``/…``) is taken: ``redirect()`` would try any other string
    as the name of a view and answer 500 when none has it.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}
    ):
        return target
    return fallback


def login_redirect(request: HttpRequest, login_url: str) -> HttpResponseRedirect:
    """To ``login_url``, then back where the user was.

    A page (GET) comes back with its filters and page number. A form sent
    after the session ended (POST) comes back to the page the form was on:
    the address it was sent to answers only POST, and after the login the
    browser could only open it (405, an empty page).
    """
    if request.method in ("GET", "HEAD"):
        target = request.get_full_path()
    else:
        target = _referring_path(request)
    if not target:
        return HttpResponseRedirect(login_url)
    return redirect_to_login(target, login_url)


def _referring_path(request: HttpRequest) -> str:
    referer = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(
        referer, {request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(referer)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
