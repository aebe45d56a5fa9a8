"""统一身份认证: logging in with an identity from the OpenID Connect provider.

On first use an identity is linked to an account, for the side of the portal
it came through: a personal identity to the personal account of the person
whose ID number the provider vouches for (made if the registered person has
none yet); a unit identity to a new unit account, which then real-names itself
with an authorization code like any new unit account (``bind_with_code``,
``accounts:unit-bind-code``) or takes over an old account's units
(``bind_with_old_account``). Later logins find the link. Every link, login and
refusal is audited.
"""

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.ids import compact
from lifecert.registry.models import Person

from .models import ExternalIdentity, User

NOT_REGISTERED = (
    "统一身份认证平台提供的身份证号码没有参保登记信息，无法登录个人服务。"
    "请携带身份证到参保地社保经办机构登记，或使用账号密码登录。"
)
NO_NUMBER = (
    "统一身份认证平台没有提供您的身份证号码，无法关联个人账号。"
    "请在统一身份认证平台完成实名认证后重试，或使用账号密码登录。"
)
TAKEN = (
    "该社会保障号码已被其他账号使用，无法自动关联。"
    "请使用账号密码登录，或通过“人脸认证找回”取回您的号码。"
)
INACTIVE = "关联的账号已停用，请到参保地社保经办机构办理。"


class IdentityRefused(Exception):
    """The identity may not log in; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Claims:
    """What the provider vouched for (ID token and userinfo)."""

    issuer: str
    subject: str
    name: str = ""
    id_number: str = ""


def login_with_identity(
    *, kind: str, claims: Claims, ip: str | None = None
) -> tuple[User, bool]:
    """The account ``claims`` log into on the ``kind`` side, and whether it was
    linked just now. ``IdentityRefused`` (audited) when there is none to link."""
    try:
        return _login(kind, claims, ip)
    except IdentityRefused as exc:
        audit.record(
            AuditAction.IDENTITY_REFUSED,
            acting_user=None,
            ip=ip,
            after={"issuer": claims.issuer, "kind": kind, "reason": exc.message},
        )
        raise


def _login(kind: str, claims: Claims, ip: str | None) -> tuple[User, bool]:
    if kind not in (User.Kind.PERSONAL, User.Kind.UNIT):
        raise IdentityRefused("请从个人服务或单位服务的登录页面使用统一身份认证。")
    now = timezone.now()
    with transaction.atomic():
        link = (
            ExternalIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=claims.issuer, subject=claims.subject, kind=kind)
            .first()
        )
        linked_now = link is None
        if link is None:
            user = (
                _personal_account(claims, ip)
                if kind == User.Kind.PERSONAL
                else _unit_account(claims, ip)
            )
            link = ExternalIdentity.objects.create(
                issuer=claims.issuer, subject=claims.subject, kind=kind, user=user
            )
            audit.record(
                AuditAction.IDENTITY_LINK,
                acting_user=user,
                target=user,
                ip=ip,
                after={"issuer": claims.issuer, "kind": kind},
            )
        user = link.user
        if not user.is_active:
            raise IdentityRefused(INACTIVE)
        link.last_login_at = now
        link.save(update_fields=["last_login_at"])
        audit.record(
            AuditAction.IDENTITY_LOGIN,
            acting_user=user,
            target=user,
            ip=ip,
            after={"issuer": claims.issuer, "kind": kind},
        )
    return user, linked_now


def _personal_account(claims: Claims, ip: str | None) -> User:
    number = compact(claims.id_number).upper()
    if not number:
        raise IdentityRefused(NO_NUMBER)
    person = Person.objects.filter(ssn=number).first()
    if person is None:
        raise IdentityRefused(NOT_REGISTERED)
    account = User.objects.filter(kind=User.Kind.PERSONAL, person=person).first()
    if account is not None:
        return account
    if User.objects.filter(username=number).exists():
        raise IdentityRefused(TAKEN)
    # The provider vouched for the number: the account a registration would
    # make, without a password (the counter can give one: 窗口重置密码).
    return _new_account(
        ip,
        username=number,
        kind=User.Kind.PERSONAL,
        display_name=person.name,
        person=person,
        phone=person.phone,
    )


def _unit_account(claims: Claims, ip: str | None) -> User:
    digest = hashlib.sha256(f"{claims.issuer}\n{claims.subject}".encode()).hexdigest()
    return _new_account(
        ip,
        username=f"sso-{digest[:16]}",
        kind=User.Kind.UNIT,
        display_name=claims.name[:60],
    )


def _new_account(ip: str | None, **fields: object) -> User:
    user = User(**fields)
    user.set_unusable_password()
    user.save()
    audit.record(
        AuditAction.ACCOUNT_REGISTER,
        acting_user=user,
        target=user,
        ip=ip,
        after={"via": "统一身份认证"},
    )
    return user
