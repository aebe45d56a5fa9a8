import datetime

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lifecert.certification.models import FaceSession
from lifecert.core.audit import client_ip
from lifecert.core.methods import require_form, require_safe
from lifecert.core.middleware import CERT_SESSION_KEY, FACE_SESSIONS_KEY
from lifecert.core.once import submit_once
from lifecert.core.redirects import safe_next
from lifecert.registry.models import Person, Region

from . import forms, oidc, services
from .access import (
    SESSION_BINDING,
    AuthenticatedRequest,
    access_binding,
    bindings_of,
    current_binding,
    parse_uuid,
    unit_required,
)
from .models import User

# The backend that logs an account in (axes only watches, it never does).
ACCOUNT_BACKEND = "lifecert.accounts.backends.AccountBackend"
_HOME_AFTER_LOGIN: dict[str, str] = {
    User.Kind.PERSONAL: "pensioner:centre",
    User.Kind.UNIT: "accounts:unit-home",
    User.Kind.STAFF: "backoffice:index",
}
_LOGIN_TITLES: dict[str, str] = {
    User.Kind.PERSONAL: "社会保险网上个人服务 · 登录",
    User.Kind.UNIT: "社会保险网上单位服务 · 单位经办人登录",
    User.Kind.STAFF: "经办后台 · 社保经办人员登录",
}


def _login_view(request: HttpRequest, kind: str) -> HttpResponse:
    form_class = (
        forms.PersonalLoginForm if kind == User.Kind.PERSONAL else forms.LoginForm
    )
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_with_limits(
                request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                kind=kind,
            )
        except services.AccountError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user)
            return redirect(safe_next(request, reverse(_HOME_AFTER_LOGIN[kind])))
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "kind": kind,
            "title": _LOGIN_TITLES[kind],
            "oidc": oidc.enabled() and kind in oidc.LOGIN_ROUTES,
        },
    )


@require_safe
def password_forgot(request: HttpRequest) -> HttpResponse:
    """忘记密码: what to do. Certification needs no password; a counter resets."""
    offices = Region.objects.exclude(office_name="").order_by("code")
    return render(request, "accounts/password_forgot.html", {"offices": offices})


@require_form
def personal_login(request: HttpRequest) -> HttpResponse:
    return _login_view(request, User.Kind.PERSONAL)


@require_form
def unit_login(request: HttpRequest) -> HttpResponse:
    return _login_view(request, User.Kind.UNIT)


@require_form
def staff_login(request: HttpRequest) -> HttpResponse:
    return _login_view(request, User.Kind.STAFF)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """退出登录; after a 统一身份认证 login the provider's session ends too."""
    provider_logout = oidc.end_session_url(request)
    logout(request)
    messages.info(request, "您已安全退出。")
    return redirect(provider_logout or "home")


# A repeat of a registration may come without the first one's login.
_REGISTERED = "注册已完成，如页面要求登录，请用刚才设置的密码登录。"


@require_form
def personal_register(request: HttpRequest) -> HttpResponse:
    form = forms.PersonalRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with submit_once(request, "accounts.personal-register") as submit:
            if submit.repeated:
                return submit.answer(request, _REGISTERED)
            try:
                user = services.register_personal(
                    name=data["name"],
                    ssn=data["ssn"],
                    phone=data["phone"],
                    password=data["password1"],
                    ip=client_ip(request),
                )
            except services.AccountError as exc:
                form.add_error(None, exc.message)
            else:
                login(request, user, backend=ACCOUNT_BACKEND)
                messages.success(request, "注册成功，欢迎使用社会保险网上个人服务。")
                return submit.done(redirect("pensioner:centre"))
    return render(request, "accounts/personal_register.html", {"form": form})


_SESSION_RECLAIM = "accounts:reclaim"


@require_form
def personal_reclaim(request: HttpRequest) -> HttpResponse:
    """人脸认证找回 step 1: name + number (throttled as registration is), then
    face certification in the ordinary way."""
    form = forms.ReclaimStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.find_person_for_registration(
                name=form.cleaned_data["name"],
                ssn=form.cleaned_data["ssn"],
                ip=client_ip(request),
            )
        except services.AccountError as exc:
            form.add_error(None, exc.message)
        else:
            if request.user.is_authenticated:
                logout(request)
            request.session.cycle_key()
            request.session[CERT_SESSION_KEY] = str(person.public_id)
            request.session[_SESSION_RECLAIM] = {
                "person": str(person.public_id),
                "since": timezone.now().isoformat(),
            }
            messages.info(
                request,
                "请完成人脸认证。认证成功后，回到“人脸认证找回”页面设置新密码。",
            )
            return redirect("pensioner:certify")
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": "人脸认证找回社会保障号码",
            "alternatives": [
                (
                    "reclaim-finish",
                    reverse("accounts:personal-reclaim-finish"),
                    "已完成人脸认证，设置新密码",
                )
            ],
        },
    )


@require_form
def personal_reclaim_finish(request: HttpRequest) -> HttpResponse:
    """人脸认证找回 step 2: after a face certification passed since step 1,
    the new password; the account someone else made is retired."""
    state = request.session.get(_SESSION_RECLAIM)
    if not state:
        return redirect("accounts:personal-reclaim")
    person = get_object_or_404(Person, public_id=parse_uuid(state["person"]))
    passed = (
        FaceSession.objects.filter(
            public_id__in=request.session.get(FACE_SESSIONS_KEY, []),
            person=person,
            status=FaceSession.Status.PASSED,
            created_at__gte=datetime.datetime.fromisoformat(state["since"]),
        )
        .order_by("-created_at")
        .first()
    )
    if passed is None:
        messages.warning(request, "尚未通过人脸认证，请先完成人脸认证。")
        return redirect("pensioner:certify")
    form = forms.ReclaimFinishForm(
        request.POST or None,
        person_user=User(username=person.ssn, display_name=person.name),
    )
    if request.method == "POST" and form.is_valid():
        user = services.reclaim_personal_number(
            person=person,
            face_session=passed,
            phone=form.cleaned_data["phone"],
            password=form.cleaned_data["password1"],
            ip=client_ip(request),
        )
        del request.session[_SESSION_RECLAIM]
        login(request, user, backend=ACCOUNT_BACKEND)
        messages.success(request, "已找回，此前他人注册的账号已停用。")
        return redirect("pensioner:centre")
    return render(
        request,
        "accounts/form_page.html",
        {"form": form, "title": f"人脸认证找回：为 {person.name} 设置新密码"},
    )


@require_form
def change_password(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("home")
    form = forms.ChangePasswordForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(
                request,
                user=request.user,
                old=form.cleaned_data.get("old_password"),
                new=form.cleaned_data["password1"],
            )
        except services.AccountError as exc:
            form.add_error("old_password", exc.message)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改。")
            return redirect(_HOME_AFTER_LOGIN[request.user.kind])
    title = "修改密码" if "old_password" in form.fields else "设置登录密码"
    return render(request, "accounts/form_page.html", {"form": form, "title": title})


@require_form
def unit_register(request: HttpRequest) -> HttpResponse:
    form = forms.UnitRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with submit_once(request, "accounts.unit-register") as submit:
            if submit.repeated:
                return submit.answer(request, _REGISTERED)
            try:
                user = services.register_unit_account(
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                    ip=client_ip(request),
                )
            except services.AccountError as exc:
                form.add_error("username", exc.message)
            else:
                login(request, user, backend=ACCOUNT_BACKEND)
                return submit.done(redirect("accounts:unit-home"))
    return render(request, "accounts/unit_register.html", {"form": form})


@unit_required
def unit_home(request: AuthenticatedRequest) -> HttpResponse:
    """The binding dialog of the guide: four choices, or real-name first."""
    bindings = bindings_of(request.user)
    if not bindings:
        messages.warning(
            request,
            "检查到该单位账号未完成实名认证，请使用“授权码实名认证”：授权码需要单位经办人"
            "前往参保地社保局办理“单位获取授权码”业务获取（一个单位编号对应一个授权码）。",
        )
        return redirect("accounts:unit-bind-code")
    return render(
        request,
        "accounts/unit_home.html",
        {"bindings": bindings, "current": current_binding(request)},
    )


@unit_required
@require_form
def unit_bind_code(request: AuthenticatedRequest) -> HttpResponse:
    form = forms.BindCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with submit_once(request, "accounts.bind-code") as submit:
            if submit.repeated:
                return submit.answer(request, "绑定已完成。")
            try:
                binding = services.bind_with_code(
                    account=request.user,
                    unit_number=form.cleaned_data["unit_number"],
                    code=form.cleaned_data["code"],
                    operator=form.operator(),
                    ip=client_ip(request),
                )
            except services.AccountError as exc:
                form.add_error(None, exc.message)
            else:
                request.session[SESSION_BINDING] = str(binding.public_id)
                messages.success(
                    request, f"绑定成功：{binding.unit.name}（{binding.unit.number}）。"
                )
                return submit.done(redirect("accounts:unit-home"))
    # A new account lands here; the guide's other way in is an old account.
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": "授权码实名认证 / 使用授权码添加绑定",
            "alternatives": [
                ("add-by-old", reverse("accounts:unit-bind-old"), "使用旧账号添加绑定")
            ],
        },
    )


@unit_required
@require_form
def unit_bind_old(request: AuthenticatedRequest) -> HttpResponse:
    form = forms.BindOldAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with submit_once(request, "accounts.bind-old") as submit:
            if submit.repeated:
                return submit.answer(request, "绑定已完成。")
            try:
                created = services.bind_with_old_account(
                    request,
                    account=request.user,
                    old_username=form.cleaned_data["old_username"],
                    old_password=form.cleaned_data["old_password"],
                    operator=form.operator(),
                )
            except services.AccountError as exc:
                form.add_error(None, exc.message)
            else:
                numbers = "、".join(b.unit.number for b in created)
                messages.success(request, f"已添加绑定：{numbers}。")
                return submit.done(redirect("accounts:unit-home"))
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": "使用旧账号添加绑定",
            "alternatives": [
                (
                    "add-by-code",
                    reverse("accounts:unit-bind-code"),
                    "使用授权码添加绑定",
                )
            ],
        },
    )


@unit_required
@require_form
def unit_binding_edit(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """修改绑定信息."""
    binding = access_binding(request.user, public_id)
    initial = {
        "operator_name": binding.operator_name,
        "operator_phone": binding.operator_phone,
        "operator_id_number": binding.operator_id_number,
    }
    form = forms.OperatorForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_binding_operator(
            account=request.user,
            binding=binding,
            operator=form.operator(),
            ip=client_ip(request),
        )
        messages.success(request, "绑定的经办人信息已修改。")
        return redirect("accounts:unit-home")
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": f"修改绑定信息：{binding.unit.name}（{binding.unit.number}）",
        },
    )


@unit_required
@require_POST
def unit_switch(request: AuthenticatedRequest) -> HttpResponse:
    """多绑切换."""
    binding = access_binding(request.user, request.POST.get("binding", ""))
    request.session[SESSION_BINDING] = str(binding.public_id)
    messages.success(
        request, f"已切换到单位编号 {binding.unit.number}（{binding.unit.name}）。"
    )
    return redirect(safe_next(request, reverse("employer:index")))
