"""统一身份认证 through OpenID Connect, on mozilla-django-oidc.

The library runs the authorization-code flow (state, nonce, PKCE), fetches the
tokens, checks the ID token's signature against the provider's keys and reads
userinfo. Here: which side of the portal the login is for, the checks it leaves
out (who issued the token and for whom), the link to an account
(``identities.login_with_identity``), and the end of the provider's session at
logout (RP-initiated logout). The session is then Django's own, with the same
limits as a password login (SessionLimitsMiddleware); django-axes watches the
``authenticate`` call as it watches passwords.
"""

import time
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.views.decorators.http import require_GET
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from lifecert.core.audit import client_ip
from lifecert.core.methods import require_form
from lifecert.core.once import submit_once

from . import forms, identities, services
from .models import User

SESSION_KIND = "oidc_kind"
# Kept by the library (OIDC_STORE_ID_TOKEN).
SESSION_ID_TOKEN = "oidc_id_token"  # noqa: S105 a session key, no secret
# The backend that keeps the session afterwards (as after a password login).
ACCOUNT_BACKEND = "lifecert.accounts.backends.AccountBackend"
LOGIN_ROUTES: dict[str, str] = {
    User.Kind.PERSONAL: "accounts:personal-login",
    User.Kind.UNIT: "accounts:unit-login",
}
HOME_ROUTES: dict[str, str] = {
    User.Kind.PERSONAL: "pensioner:centre",
    User.Kind.UNIT: "accounts:unit-home",
}
UNAVAILABLE = "统一身份认证平台暂时无法访问，请稍后再试，或使用账号密码登录。"
NOT_DONE = "统一身份认证未完成，请重新登录，或使用账号密码登录。"
# A unit identity the provider vouched for, waiting for its authorization code
# (``unit_link``): issuer, subject, name and when (server clock).
SESSION_PENDING = "oidc_unit_pending"
PENDING_SECONDS = 10 * 60
NO_PENDING = (
    "请先在单位服务登录页点击“统一身份认证”登录（或已超过 10 分钟，请重新登录）。"
)


def enabled() -> bool:
    """Whether a provider is configured (``OIDC_RP_CLIENT_ID``)."""
    return bool(settings.OIDC_RP_CLIENT_ID)


class LifeCertOIDCBackend(OIDCAuthenticationBackend):  # type: ignore[misc]  # untyped library
    """The library's backend, for the callback only, linking identities."""

    def authenticate(self, request: Any, **kwargs: Any) -> User | None:
        # Only the callback passes a nonce: a password login never reaches the
        # token endpoint, whatever its query string holds.
        if request is None or "nonce" not in kwargs or not enabled():
            return None
        user: User | None = super().authenticate(request, **kwargs)
        return user

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The library checks signature, expiry and nonce; the issuer and the
        audience are checked here (a token of another client is refused)."""
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if payload.get("iss") != settings.OIDC_OP_ISSUER:
            raise SuspiciousOperation("ID token from another issuer.")
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token for another client.")
        return payload

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User:
        info = self.get_userinfo(access_token, id_token, payload)
        if info.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo is about another subject.")
        claims = identities.Claims(
            issuer=str(payload["iss"]),
            subject=str(payload["sub"]),
            name=str(info.get("name") or ""),
            id_number=str(info.get(settings.OIDC_ID_NUMBER_CLAIM) or ""),
        )
        logged_in = identities.login_with_identity(
            kind=str(self.request.session.get(SESSION_KIND, "")),
            claims=claims,
            ip=client_ip(self.request),
        )
        user = logged_in.user
        user.identity_login = logged_in  # type: ignore[attr-defined]  # for the message
        return user


# Not a page: a HEAD (a prefetch) would replace the state and nonce of a
# login under way, so it gets 405 (Allow: GET).
@require_GET
def oidc_start(request: HttpRequest, kind: str) -> HttpResponseBase:
    """The 统一身份认证 button: remember the side, then the library's redirect
    to the provider (state, nonce and PKCE verifier kept in the session)."""
    if not enabled() or kind not in LOGIN_ROUTES:
        raise Http404("未启用统一身份认证。")
    request.session[SESSION_KIND] = kind
    response: HttpResponseBase = OIDCAuthenticationRequestView.as_view()(request)
    return response


class CallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]  # untyped library
    """The provider's answer: the library's checks, then our login."""

    def _kind(self) -> str:
        kind = str(self.request.session.get(SESSION_KIND, User.Kind.PERSONAL))
        return kind if kind in LOGIN_ROUTES else User.Kind.PERSONAL

    def get(self, request: HttpRequest) -> HttpResponseBase:
        if not enabled():
            raise Http404("未启用统一身份认证。")
        try:
            response: HttpResponseBase = super().get(request)
        except identities.IdentityRefused as exc:
            messages.error(request, exc.message)
            return redirect(LOGIN_ROUTES[self._kind()])
        except identities.UnitLinkNeeded as exc:
            claims = exc.claims
            request.session[SESSION_PENDING] = {
                "issuer": claims.issuer,
                "subject": claims.subject,
                "name": claims.name,
                "at": time.time(),
            }
            return redirect("accounts:unit-sso-link")
        except requests.RequestException:
            messages.error(request, UNAVAILABLE)
            return redirect(LOGIN_ROUTES[self._kind()])
        return response

    @property
    def success_url(self) -> str:
        next_url = self.request.session.get("oidc_login_next")
        return str(next_url or resolve_url(HOME_ROUTES[self._kind()]))

    def login_failure(self) -> HttpResponse:
        messages.error(self.request, NOT_DONE)
        return redirect(LOGIN_ROUTES[self._kind()])

    def login_success(self) -> HttpResponse:
        self.user.backend = ACCOUNT_BACKEND
        response: HttpResponse = super().login_success()
        logged_in = getattr(self.user, "identity_login", None)
        if logged_in is not None and logged_in.linked_now:
            messages.success(self.request, identities.LINKED)
        if logged_in is not None and logged_in.password_retired:
            messages.warning(self.request, identities.RELINK_NOTICE)
        return response


def end_session_url(request: HttpRequest) -> str | None:
    """Where to send the browser after our logout so that the provider's
    session ends too (RP-initiated logout); None after a password login."""
    id_token = request.session.get(SESSION_ID_TOKEN)
    if not id_token or not settings.OIDC_OP_LOGOUT_ENDPOINT:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": request.build_absolute_uri(resolve_url("home")),
            "client_id": settings.OIDC_RP_CLIENT_ID,
        }
    )
    return f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?{query}"


def _pending(request: HttpRequest) -> identities.Claims | None:
    pending = request.session.get(SESSION_PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        del request.session[SESSION_PENDING]
        return None
    return identities.Claims(
        issuer=str(pending["issuer"]),
        subject=str(pending["subject"]),
        name=str(pending.get("name", "")),
    )


@require_form
def unit_link(request: HttpRequest) -> HttpResponse:
    """统一身份认证 on first use for a unit: the operator gives the unit number
    and its authorization code; the identity is linked to that unit's existing
    account, which is then logged in. Only after the provider's callback."""
    claims = _pending(request)
    if claims is None:
        messages.error(request, NO_PENDING)
        return redirect("accounts:unit-login")
    form = forms.UnitLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with submit_once(request, "accounts.sso-link") as submit:
            if submit.repeated:
                return submit.answer(request, "统一身份认证账号已关联。")
            try:
                user = identities.link_unit_identity(
                    claims=claims,
                    unit_number=form.cleaned_data["unit_number"],
                    code=form.cleaned_data["code"],
                    ip=client_ip(request),
                )
            except (services.AccountError, identities.IdentityRefused) as exc:
                form.add_error(None, exc.message)
            else:
                del request.session[SESSION_PENDING]
                login(request, user, backend=ACCOUNT_BACKEND)
                messages.success(
                    request,
                    f"已将您的统一身份认证账号与单位账号 {user.get_username()} 关联，"
                    "以后可直接使用统一身份认证登录。",
                )
                return submit.done(redirect("accounts:unit-home"))
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": "统一身份认证：关联单位账号",
            "intro": (
                f"{claims.name or '您'}，这是您第一次使用统一身份认证登录单位服务。"
                "请输入单位编号和社保局发放的授权码，将统一身份认证账号关联到"
                "该单位已实名认证的单位账号（授权码使用后失效）。"
            ),
            "alternatives": [
                ("password-login", reverse("accounts:unit-login"), "使用账号密码登录")
            ],
        },
    )
