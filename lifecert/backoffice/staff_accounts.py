"""经办人员账号: province staff create regional staff accounts, reset their
password, lift a login lock and deactivate them. Regional staff get 403."""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lifecert.accounts import staff
from lifecert.accounts.access import (
    AuthenticatedRequest,
    access_regional_staff,
    province_required,
)
from lifecert.accounts.services import AccountError
from lifecert.core.audit import client_ip
from lifecert.core.methods import put_slip, require_form
from lifecert.core.once import submit_once
from lifecert.core.pagination import paginate
from lifecert.registry.models import Region

from .unit_views import RESET_ONCE, SESSION_RESET_SLIP


class StaffAccountForm(forms.Form):
    username = forms.RegexField(
        label="账号",
        regex=r"^[A-Za-z0-9_.@+-]{3,40}$",
        max_length=40,
        error_messages={"invalid": "账号为 3–40 位字母、数字或 _ . @ + -。"},
    )
    display_name = forms.CharField(label="姓名", max_length=60)
    region = forms.ModelChoiceField(
        label="所属参保地",
        queryset=Region.objects.order_by("code"),
        to_field_name="code",
        empty_label="请选择",
        error_messages={"required": "请选择所属参保地。"},
    )
    phone = forms.RegexField(
        label="手机号码",
        regex=r"^1\d{10}$",
        required=False,
        error_messages={"invalid": "请输入 11 位手机号码。"},
    )


_CREATED_ONCE = "账号已开通；临时密码只显示一次，如未记下，请在账号列表中为其重置密码。"


@province_required
@require_form
def staff_list(request: AuthenticatedRequest) -> HttpResponse:
    """The regional staff accounts, and a form to add one."""
    form = StaffAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with submit_once(request, "backoffice.staff") as submit:
            if submit.repeated:
                return submit.answer(request, _CREATED_ONCE)
            try:
                account, password = staff.create_staff_account(
                    acting_user=request.user,
                    username=data["username"],
                    display_name=data["display_name"],
                    region=data["region"],
                    phone=data["phone"],
                    ip=client_ip(request),
                )
            except AccountError as exc:
                form.add_error("username", exc.message)
            else:
                put_slip(request, SESSION_RESET_SLIP, str(account.public_id), password)
                return submit.done(
                    redirect(
                        "backoffice:account-password-slip", public_id=account.public_id
                    )
                )
    pager = paginate(
        request, staff.regional_staff().order_by("staff_region__code", "id")
    )
    accounts = list(pager.page.object_list)
    failures = staff.failed_logins(accounts)
    for account in accounts:
        account.failed_logins = failures.get(account.get_username(), 0)
    return render(
        request,
        "backoffice/staff_list.html",
        {"form": form, "pager": pager, "accounts": accounts},
        status=400 if form.is_bound and form.errors else 200,
    )


@province_required
@require_POST
def staff_password_reset(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    account = access_regional_staff(request.user, public_id)
    with submit_once(request, "backoffice.staff-reset", same_content=False) as submit:
        if submit.repeated:
            return submit.answer(request, RESET_ONCE)
        password = staff.reset_staff_password(
            acting_user=request.user, account=account, ip=client_ip(request)
        )
        put_slip(request, SESSION_RESET_SLIP, str(account.public_id), password)
        return submit.done(
            redirect("backoffice:account-password-slip", public_id=account.public_id)
        )


@province_required
@require_POST
def staff_unlock(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    account = access_regional_staff(request.user, public_id)
    staff.unlock_staff_account(
        acting_user=request.user, account=account, ip=client_ip(request)
    )
    messages.success(request, f"已解除 {account.username} 的登录锁定，可以重新登录。")
    return redirect("backoffice:staff-list")


@province_required
@require_POST
def staff_active(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """停用 or 启用 (``active`` = "0" / "1")."""
    account = access_regional_staff(request.user, public_id)
    active = request.POST.get("active") == "1"
    staff.set_staff_active(
        acting_user=request.user, account=account, active=active, ip=client_ip(request)
    )
    if active:
        messages.success(request, f"已启用 {account.username}。")
    else:
        messages.success(
            request, f"已停用 {account.username}：该账号不能再登录，已登录的也已失效。"
        )
    return redirect("backoffice:staff-list")
