"""接口令牌: staff issue, rotate and revoke the tokens of the bureau's systems.

The secret is on the page that answers the POST, once; it is never stored.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lifecert.accounts.access import AuthenticatedRequest, parse_uuid, staff_required
from lifecert.core.audit import client_ip
from lifecert.core.methods import require_form
from lifecert.core.once import SAME_CONTENT_WINDOW, submit_once

from .access import access_token, tokens_for_staff
from .forms import TokenForm
from .models import ApiToken
from .services import issue_token, revoke_token, rotate_token

# Back and send within SAME_CONTENT_WINDOW is a repeat too (see submit_once).
_WINDOW_MINUTES = int(SAME_CONTENT_WINDOW.total_seconds()) // 60
ROTATED_ONCE = (
    "密钥已按第一次提交更换，新密钥只显示那一次；如未记下，"
    f"请 {_WINDOW_MINUTES} 分钟后再点该令牌的“更换密钥”。"
)


def _secret_page(
    request: AuthenticatedRequest, token: ApiToken, plain: str
) -> HttpResponse:
    return render(request, "api/token_secret.html", {"token": token, "plain": plain})


@staff_required
@never_cache
@require_form
def token_list(request: AuthenticatedRequest) -> HttpResponse:
    """The tokens the staff user manages, and the form that issues one."""
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with submit_once(request, "api.token") as submit:
            if submit.repeated:
                # The first answer held the secret; it is never shown again.
                return submit.answer(
                    request,
                    "令牌已发放，见下方列表；如未记下密钥，请点该令牌的“更换密钥”。",
                )
            token, plain = issue_token(
                system_name=form.cleaned_data["system_name"],
                scopes=form.cleaned_data["scopes"],
                region=form.cleaned_data["region"],
                acting_user=request.user,
                ip=client_ip(request),
            )
            return submit.done(
                _secret_page(request, token, plain), landing=reverse("api-tokens:list")
            )
    return render(
        request,
        "api/token_list.html",
        {"form": form, "tokens": tokens_for_staff(request.user)},
        status=400 if form.errors else 200,
    )


@staff_required
@never_cache
@require_POST
def token_rotate(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """更换密钥, once per click: the same page sent again (a double click, Back
    and send) rotates nothing and shows no secret."""
    token = access_token(request.user, parse_uuid(public_id))
    with submit_once(request, "api.token-rotate") as submit:
        if submit.repeated:
            return submit.answer(request, ROTATED_ONCE)
        try:
            token, plain = rotate_token(
                token=token, acting_user=request.user, ip=client_ip(request)
            )
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("api-tokens:list")
        return submit.done(
            _secret_page(request, token, plain), landing=reverse("api-tokens:list")
        )


@staff_required
@require_POST
def token_revoke(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    token = access_token(request.user, parse_uuid(public_id))
    try:
        revoke_token(token=token, acting_user=request.user, ip=client_ip(request))
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"已停用“{token.system_name}”的令牌，该系统的调用将被拒绝。"
        )
    return redirect("api-tokens:list")
