from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """Portal home with the two entries 个人服务 and 单位服务."""
    return render(request, "core/home.html")
