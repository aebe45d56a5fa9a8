from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: Django still refuses the request; we only say it in
    Chinese, with the way back (the form's page, reloaded, has a fresh token)."""
    back = request.path if request.method == "POST" else "/"
    return render(request, "403_csrf.html", {"back": back}, status=403)
