from django.http import HttpRequest
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
