from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lifecert.accounts.access import (
    current_entitlement,
    person_regions,
    personal_required,
)


@personal_required
def centre(request: HttpRequest) -> HttpResponse:
    """用户中心 (the pensioner flow builds on this page)."""
    return render(
        request,
        "pensioner/centre.html",
        {
            "entitlement": current_entitlement(request),
            "regions": person_regions(request.user),
        },
    )


def cert_login(request: HttpRequest) -> HttpResponse:
    return render(
        request, "pensioner/placeholder.html", {"title": "养老待遇资格认证登记"}
    )


def receipt_verify(request: HttpRequest) -> HttpResponse:
    return render(request, "pensioner/placeholder.html", {"title": "自助打印单据验证"})
