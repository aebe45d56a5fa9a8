"""Staff back office: units, their authorization codes and bindings, and
counter password resets of personal and unit accounts."""

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lifecert.accounts.access import (
    AuthenticatedRequest,
    access_account_for_staff,
    parse_uuid,
    staff_required,
)
from lifecert.accounts.models import AuthorizationCode, UnitBinding, User
from lifecert.accounts.services import (
    issue_authorization_code,
    reset_password_at_counter,
    revoke_binding,
)
from lifecert.core.audit import client_ip
from lifecert.core.methods import put_slip, require_form, require_safe, take_slip
from lifecert.core.once import submit_once
from lifecert.core.pagination import paginate
from lifecert.registry.access import (
    access_unit,
    units_for_staff,
)

from . import forms


@staff_required
@require_safe
def unit_list(request: AuthenticatedRequest) -> HttpResponse:
    form = forms.SearchForm(request.GET or None)
    units = units_for_staff(request.user).select_related("region").order_by("number")
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if q:
        units = units.filter(Q(number=q) | Q(name__contains=q))
    return render(
        request,
        "backoffice/unit_list.html",
        {"form": form, "pager": paginate(request, units)},
    )


_SESSION_SLIP = "backoffice:code-slip"


@staff_required
@require_form
def unit_code(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """单位获取授权码 and the unit's bindings: issue or reissue (asking whether
    to unbind), see who is bound, revoke a binding."""
    unit = access_unit(request.user, parse_uuid(public_id))
    existing = AuthorizationCode.objects.filter(unit=unit).first()
    bindings = list(
        UnitBinding.objects.filter(unit=unit).select_related("account").order_by("id")
    )
    form = forms.IssueCodeForm(request.POST or None, bindings=len(bindings))
    if request.method == "POST" and form.is_valid():
        with submit_once(request, "backoffice.unit-code", same_content=False) as submit:
            if submit.repeated:
                return submit.answer(
                    request, "授权码已发放；如未记下，请返回单位页面重新发放。"
                )
            code = issue_authorization_code(
                unit=unit,
                acting_user=request.user,
                unbind_existing=form.unbind_existing(),
                ip=client_ip(request),
            )
            put_slip(request, _SESSION_SLIP, str(unit.public_id), code)
            return submit.done(
                redirect("backoffice:unit-code-slip", public_id=unit.public_id)
            )
    return render(
        request,
        "backoffice/unit_code.html",
        {"unit": unit, "existing": existing, "bindings": bindings, "form": form},
    )


@staff_required
@require_safe
def unit_code_slip(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """授权码回执: the new code once; afterwards only the advice to reissue."""
    unit = access_unit(request.user, parse_uuid(public_id))
    code = take_slip(request, _SESSION_SLIP, str(unit.public_id))
    return render(
        request,
        "backoffice/code_slip.html",
        {
            "unit": unit,
            "code": code,
            "auth": AuthorizationCode.objects.filter(unit=unit).first(),
            "now": timezone.now(),
        },
    )


@staff_required
@require_POST
def unit_binding_revoke(
    request: AuthenticatedRequest, public_id: str, binding_id: str
) -> HttpResponse:
    """解除绑定 of one account from a unit the staff member may see."""
    unit = access_unit(request.user, parse_uuid(public_id))
    with submit_once(request, "backoffice.binding-revoke") as submit:
        if submit.repeated:  # the binding is gone: not a 404
            return submit.answer(request, "该绑定已解除。")
        binding = get_object_or_404(
            UnitBinding.objects.select_related("unit", "account"),
            unit=unit,
            public_id=parse_uuid(binding_id),
        )
        revoke_binding(acting_user=request.user, binding=binding, ip=client_ip(request))
        messages.success(
            request, f"已解除账号 {binding.account.get_username()} 与本单位的绑定。"
        )
        return submit.done(redirect("backoffice:unit-code", public_id=unit.public_id))


SESSION_RESET_SLIP = "backoffice:password-slip"
RESET_ONCE = "密码已重置；临时密码只显示一次，如未记下，请返回后重新重置。"


@staff_required
@require_POST
def account_password_reset(
    request: AuthenticatedRequest, public_id: str
) -> HttpResponse:
    """窗口重置密码 of a personal or unit account of the staff member's region,
    after the holder's ID was checked at the counter."""
    account = access_account_for_staff(request.user, parse_uuid(public_id))
    # A double click reset twice, and the slip could show the first password
    # while the second was in force. A second reset on purpose is a new page.
    with submit_once(request, "backoffice.reset", same_content=False) as submit:
        if submit.repeated:
            return submit.answer(request, RESET_ONCE)
        temporary = reset_password_at_counter(
            acting_user=request.user, account=account, ip=client_ip(request)
        )
        put_slip(request, SESSION_RESET_SLIP, str(account.public_id), temporary)
        return submit.done(
            redirect("backoffice:account-password-slip", public_id=account.public_id)
        )


@staff_required
@require_safe
def account_password_slip(
    request: AuthenticatedRequest, public_id: str
) -> HttpResponse:
    """重置密码回执: the temporary password once; afterwards only the advice."""
    account = access_account_for_staff(
        request.user, parse_uuid(public_id), staff_accounts=True
    )
    password = take_slip(request, SESSION_RESET_SLIP, str(account.public_id))
    if account.kind == User.Kind.PERSONAL and account.person is not None:
        back = reverse("backoffice:person-detail", args=[account.person.public_id])
    elif account.kind == User.Kind.STAFF:
        back = reverse("backoffice:staff-list")
    else:
        binding = account.bindings.select_related("unit").first()
        back = (
            reverse("backoffice:unit-code", args=[binding.unit.public_id])
            if binding
            else reverse("backoffice:index")
        )
    return render(
        request,
        "backoffice/password_slip.html",
        {"account": account, "password": password, "now": timezone.now(), "back": back},
    )
