from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from lifecert.accounts.access import account_bindings, current_binding, unit_required


@unit_required
def index(request: HttpRequest) -> HttpResponse:
    """社会保险公共服务系统 (单位版) home; the employer portal builds on it."""
    binding = current_binding(request)
    if binding is None:
        return redirect("accounts:unit-home")
    return render(
        request,
        "employer/index.html",
        {"binding": binding, "bindings": account_bindings(request.user)},
    )
