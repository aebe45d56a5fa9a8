from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lifecert.notices.access import latest_notices


def home(request: HttpRequest) -> HttpResponse:
    """Portal home: the two entries 个人服务 and 单位服务, and the newest
    政策解读 / 工作动态 / 公示公告."""
    return render(request, "core/home.html", {"notice_columns": latest_notices()})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: Django still refuses the request; we only say it in
    Chinese, with the way back (the form's page, reloaded, has a fresh token)."""
    back = request.path if request.method == "POST" else "/"
    return render(request, "403_csrf.html", {"back": back}, status=403)
