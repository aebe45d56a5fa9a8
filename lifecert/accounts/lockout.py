"""Password guessing, on django-axes: our limits and our page.

Axes counts wrong passwords per username + client address (settings
``AXES_LOCKOUT_PARAMETERS``), so one address can lock a username only for
itself. This handler adds the slower limit per username from all addresses
together (``LOGIN_MAX_FAILURES_PER_ACCOUNT``), against guessing spread over
many addresses. Unknown usernames are counted exactly like real ones, and the
lockout page never says which it was.
"""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction

LOCKED_MESSAGE = "登录尝试次数过多，请 {minutes} 分钟后再试；忘记密码请点击“忘记密码”。"


def locked_message() -> str:
    return LOCKED_MESSAGE.format(minutes=settings.LOGIN_LOCK_MINUTES)


class LifeCertAxesHandler(AxesDatabaseHandler):  # type: ignore[misc]  # axes is untyped
    def _account_failures(self, request: Any, credentials: Any) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        total = AccessAttempt.objects.filter(username=username).aggregate(
            n=Sum("failures_since_start")
        )["n"]
        return int(total or 0)

    def is_locked(self, request: Any, credentials: Any = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        limit = settings.LOGIN_MAX_FAILURES_PER_ACCOUNT
        return self._account_failures(request, credentials) >= limit

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request, **kw)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        limit = settings.LOGIN_MAX_FAILURES_PER_ACCOUNT
        if self._account_failures(request, credentials) >= limit:
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The page a locked-out try gets (429), the same for every username."""
    return render(
        request, "accounts/locked.html", {"message": locked_message()}, status=429
    )


@receiver(user_locked_out)
def _audit_lockout(sender: Any, request: Any, username: Any, **kwargs: Any) -> None:
    # The username as typed (it may name no account); never the password.
    audit.record(
        AuditAction.ACCOUNT_LOCK,
        acting_user=None,
        ip=audit.client_ip(request),
        after={"username": str(username or ""), "path": request.path},
    )
