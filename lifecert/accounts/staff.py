"""Staff accounts (经办人员账号), kept by province staff: create, reset, unlock,
deactivate. Each write is audited; regional staff may do none of it.

A new account and a reset get a one-time temporary password, as the counter's
窗口重置密码 gives (``services.temporary_password``): shown once on the slip,
never stored in clear nor written to the log.
"""

from typing import Any

from axes.models import AccessAttempt
from django.db import transaction
from django.db.models import QuerySet, Sum

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.models import Region

from .models import User
from .services import AccountError, lift_login_lock, temporary_password


def is_province_staff(user: Any) -> bool:
    """Staff of the province (no region): the only ones who keep staff accounts."""
    return bool(
        getattr(user, "kind", None) == User.Kind.STAFF and user.staff_region_id is None
    )


def _require_province(acting_user: Any) -> None:
    if not is_province_staff(acting_user):
        raise AccountError(
            "只有省级经办人员可以管理经办人员账号。", code="not_province"
        )


def regional_staff() -> QuerySet[User]:
    """The accounts province staff keep: staff of one region each."""
    return User.objects.filter(
        kind=User.Kind.STAFF, staff_region__isnull=False
    ).select_related("staff_region")


def failed_logins(accounts: list[User]) -> dict[str, int]:
    """Wrong passwords django-axes holds against each username (all addresses)."""
    names = [a.get_username() for a in accounts]
    rows = (
        AccessAttempt.objects.filter(username__in=names)
        .values("username")
        .annotate(n=Sum("failures_since_start"))
    )
    return {row["username"]: int(row["n"] or 0) for row in rows}


def create_staff_account(
    *,
    acting_user: Any,
    username: str,
    display_name: str,
    region: Region,
    phone: str = "",
    ip: str | None = None,
) -> tuple[User, str]:
    """新建经办人员账号 for one region; the temporary password is returned once."""
    _require_province(acting_user)
    password = temporary_password()
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise AccountError("该账号名已被使用，请换一个。", code="exists")
        account = User.objects.create_user(
            username=username,
            password=password,
            kind=User.Kind.STAFF,
            display_name=display_name,
            phone=phone,
            staff_region=region,
            # The back office needs no admin site: is_staff stays as the
            # factory of staff accounts sets it, for the admin's own checks.
            is_staff=True,
        )
        audit.record(
            AuditAction.STAFF_CREATE,
            acting_user=acting_user,
            target=account,
            ip=ip,
            after={
                "account": username,
                "name": display_name,
                "region": region.code,
            },
        )
    return account, password


def reset_staff_password(*, acting_user: Any, account: User, ip: str | None) -> str:
    """重置经办人员密码: a temporary password, the account's other sessions end
    (Django ties them to the password) and its login lock is lifted."""
    _require_province(acting_user)
    _require_regional(account)
    password = temporary_password()
    with transaction.atomic():
        account.set_password(password)
        account.save(update_fields=["password"])
        audit.record(
            AuditAction.STAFF_PASSWORD_RESET,
            acting_user=acting_user,
            target=account,
            ip=ip,
            after={"account": account.get_username()},
        )
    lift_login_lock(account)
    return password


def unlock_staff_account(*, acting_user: Any, account: User, ip: str | None) -> int:
    """解除登录锁定: forget the account's wrong passwords from every address."""
    _require_province(acting_user)
    _require_regional(account)
    with transaction.atomic():
        dropped = lift_login_lock(account)
        audit.record(
            AuditAction.STAFF_UNLOCK,
            acting_user=acting_user,
            target=account,
            ip=ip,
            after={"account": account.get_username(), "records": dropped},
        )
    return dropped


def set_staff_active(
    *, acting_user: Any, account: User, active: bool, ip: str | None
) -> None:
    """停用 / 启用: an inactive account cannot log in, and its open sessions
    end on their next request (Django's ModelBackend refuses inactive users)."""
    _require_province(acting_user)
    _require_regional(account)
    if account.is_active == active:
        return
    with transaction.atomic():
        account.is_active = active
        account.save(update_fields=["is_active"])
        audit.record(
            AuditAction.STAFF_ACTIVATE if active else AuditAction.STAFF_DEACTIVATE,
            acting_user=acting_user,
            target=account,
            ip=ip,
            before={"is_active": not active},
            after={"is_active": active, "account": account.get_username()},
        )


def _require_regional(account: User) -> None:
    if account.kind != User.Kind.STAFF or account.staff_region_id is None:
        raise AccountError("只能管理地市经办人员账号。", code="not_regional_staff")
