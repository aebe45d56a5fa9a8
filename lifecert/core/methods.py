"""Which HTTP methods a view answers, and what a HEAD does to a download.

A server that answers GET answers HEAD too (RFC 9110, 9.3.2): a link checker,
a proxy or a browser's prefetch asks for the headers only. Pages take
``require_safe`` (GET and HEAD) or ``require_form`` (GET, HEAD and POST): a
HEAD runs the view as a GET would and Django drops the body.

A view that produces a file (an export, a receipt, a review frame) must not
produce it, nor write its audit row, for a HEAD: it hands the work to
``download``, which answers a HEAD with the headers a GET gets and does
nothing else. A page that hands out something once (a code slip, the
confirmation's token) hands it out to a GET only (``spends``; a slip kept in
the session: ``put_slip`` / ``take_slip``). A GET-only view with
``require_GET`` answers a HEAD 405 (``Allow: GET``).
"""

from collections.abc import Callable
from typing import IO

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_safe

__all__ = [
    "download",
    "put_slip",
    "require_form",
    "require_safe",
    "spends",
    "take_slip",
]

# A page with a form: GET (and HEAD) shows it, POST sends it.
require_form = require_http_methods(["GET", "HEAD", "POST"])


def spends(request: HttpRequest) -> bool:
    """Whether the request may use up what is shown once: a GET, not a HEAD."""
    return request.method == "GET"


def put_slip(request: HttpRequest, key: str, owner: str, value: str) -> None:
    """Keep ``value`` (a new code or password) in the session under ``key``,
    for the page of ``owner`` (a public id) to show once, on the next GET
    (POST-redirect-GET: a reload shows it no more and issues nothing)."""
    request.session[key] = {"owner": owner, "value": value}


def take_slip(request: HttpRequest, key: str, owner: str) -> str | None:
    """The value ``put_slip`` kept for ``owner``, removed from the session by
    a GET (``spends``), so shown once; None when there is none for ``owner``."""
    slip = request.session.get(key) or {}
    if slip.get("owner") != owner:
        return None
    if spends(request):
        del request.session[key]
    return str(slip["value"])


def download(
    request: HttpRequest,
    produce: Callable[[], bytes | IO[bytes]],
    *,
    content_type: str,
    filename: str = "",
    as_attachment: bool = True,
) -> HttpResponseBase:
    """The file ``produce`` makes (and audits), or, for a HEAD, only its headers.

    Call it after the access checks: a HEAD from someone who may not have the
    file gets the 403/404 a GET gets. ``produce`` runs only for a GET; bytes
    are answered whole, a file (a workbook in a temporary file) is streamed.
    """
    disposition = content_disposition_header(as_attachment, filename)
    if request.method == "HEAD":
        response = HttpResponse(content_type=content_type)
    else:
        body = produce()
        if not isinstance(body, bytes):
            return FileResponse(
                body,
                as_attachment=as_attachment,
                filename=filename,
                content_type=content_type,
            )
        response = HttpResponse(body, content_type=content_type)
    if disposition:
        response["Content-Disposition"] = disposition
    return response
