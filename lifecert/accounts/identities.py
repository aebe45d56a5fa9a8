"""统一身份认证: logging in with an identity from the OpenID Connect provider.

On first use an identity is linked to an account, for the side of the portal
it came through: a personal identity to the personal account of the person
whose ID number the provider vouches for (made if the registered person has
none yet); a unit identity to the EXISTING unit account of the unit whose
authorization code (授权码) the operator then enters (``UnitLinkNeeded``,
``link_unit_identity``): the code is checked, limited and used up as in
授权码实名认证 (``services.take_code``). Later logins find the link. Every
link, login and refusal is audited.
"""

import datetime
import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.ids import compact
from lifecert.registry.models import Person

from . import services
from .models import AuthorizationCode, ExternalIdentity, User

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
LINKED = "已将您的统一身份认证账号与本平台账号关联，以后可直接使用统一身份认证登录。"
RELINK_NOTICE = (
    "为防他人冒用，该账号原来的登录密码已失效。以后请使用统一身份认证登录；"
    "如需用密码登录，请在“修改密码”中设置新密码（不需要原密码）。"
)
INACTIVE = "关联的账号已停用，请到参保地社保经办机构办理。"
NO_UNIT_ACCOUNT = (
    "该单位编号还没有实名认证的单位账号，无法关联。请先注册单位账号并用授权码"
    "完成实名认证，再使用统一身份认证登录；本次授权码未被使用。"
)
MANY_UNIT_ACCOUNTS = (
    "该单位编号绑定了多个单位账号，无法确定关联哪一个。请使用账号密码登录，"
    "或请参保地社保局解除多余的绑定后重试；本次授权码未被使用。"
)


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

    def key(self) -> str:
        """Names the identity in throttles (issuer and subject, hashed)."""
        raw = f"{self.issuer}\n{self.subject}".encode()
        return hashlib.sha256(raw).hexdigest()[:32]


@dataclass(frozen=True)
class IdentityLogin:
    """Who logged in, whether the identity was linked just now, and whether
    linking it retired the account's password (``RELINK_NOTICE``)."""

    user: User
    linked_now: bool
    password_retired: bool = False


class UnitLinkNeeded(Exception):
    """A unit identity seen for the first time: the operator must give the
    unit's authorization code before it is linked (``link_unit_identity``)."""

    def __init__(self, claims: Claims) -> None:
        super().__init__("unit identity not linked yet")
        self.claims = claims


def login_with_identity(
    *, kind: str, claims: Claims, ip: str | None = None
) -> IdentityLogin:
    """The account ``claims`` log into on the ``kind`` side, and whether it was
    linked just now. ``IdentityRefused`` (audited) when there is none to link.

    A personal account that had a password when a personal identity is first
    linked to it loses that password (``account.password_retire``): the number
    alone was enough to register it, so whoever did may not be the person the
    provider vouched for, and must not keep a way in. Its other sessions end
    with the password; the person may set a new one (修改密码 asks for no old
    password then)."""
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


def _login(kind: str, claims: Claims, ip: str | None) -> IdentityLogin:
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
        linked_now, retired = link is None, False
        if link is None:
            if kind == User.Kind.UNIT:
                raise UnitLinkNeeded(claims)
            account = _personal_account(claims, ip)
            retired = account.is_active and account.has_usable_password()
            link = _link(claims, kind, account, ip)
            if retired:
                _retire_password(account, ip)
        _logged_in(link, ip, now)
    return IdentityLogin(link.user, linked_now, retired)


def _retire_password(user: User, ip: str | None) -> None:
    user.set_unusable_password()
    user.save(update_fields=["password"])
    audit.record(
        AuditAction.ACCOUNT_PASSWORD_RETIRE,
        acting_user=user,
        target=user,
        ip=ip,
        after={"via": "统一身份认证"},
    )


def _link(
    claims: Claims, kind: str, user: User, ip: str | None, **details: str
) -> ExternalIdentity:
    link = ExternalIdentity.objects.create(
        issuer=claims.issuer, subject=claims.subject, kind=kind, user=user
    )
    audit.record(
        AuditAction.IDENTITY_LINK,
        acting_user=user,
        target=user,
        ip=ip,
        after={"issuer": claims.issuer, "kind": kind, **details},
    )
    return link


def _logged_in(link: ExternalIdentity, ip: str | None, now: datetime.datetime) -> None:
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
        after={"issuer": link.issuer, "kind": link.kind},
    )


def link_unit_identity(
    *, claims: Claims, unit_number: str, code: str, ip: str | None = None
) -> User:
    """Link a unit identity on first use to the existing unit account of the
    unit whose authorization code the operator gives, and log it in.

    The code must be live (not used, not expired) and is used up by the link,
    as by a binding; wrong pairs count per identity and per address
    (``services.code_limits``) and are audited. ``services.AccountError`` for
    a wrong, used or expired code or too many tries; ``IdentityRefused``
    (audited) when the unit has no account, or several, or it is inactive.
    Nothing is linked on any refusal.
    """
    unit_number = unit_number.strip()
    limits = services.code_limits(f"identity:{claims.key()}", ip)
    services.refuse_if_throttled(limits)
    try:
        with transaction.atomic():
            auth = services.take_code(unit_number, code)
            if auth is not None:
                return _link_to_unit_account(claims, auth, ip)
    except IdentityRefused as exc:
        audit.record(
            AuditAction.IDENTITY_REFUSED,
            acting_user=None,
            ip=ip,
            after={"issuer": claims.issuer, "kind": "unit", "reason": exc.message},
        )
        raise
    services.wrong_code(
        limits, acting_user=None, unit_number=unit_number, ip=ip, via="统一身份认证"
    )


def _link_to_unit_account(
    claims: Claims, auth: AuthorizationCode, ip: str | None
) -> User:
    accounts = list(
        User.objects.filter(kind=User.Kind.UNIT, bindings__unit=auth.unit)
        .distinct()
        .order_by("pk")[:2]
    )
    if not accounts:
        raise IdentityRefused(NO_UNIT_ACCOUNT)
    if len(accounts) > 1:
        raise IdentityRefused(MANY_UNIT_ACCOUNTS)
    (user,) = accounts
    if not user.is_active:
        raise IdentityRefused(INACTIVE)
    link = (
        ExternalIdentity.objects.select_for_update()
        .filter(issuer=claims.issuer, subject=claims.subject, kind=User.Kind.UNIT)
        .first()
    )
    if link is not None and link.user_id != user.pk:
        # Linked meanwhile (another tab) to another account: that link stands.
        raise IdentityRefused("该统一身份认证账号已关联其他单位账号，请直接登录。")
    if link is None:
        services.use_code(auth, user, ip)
        link = _link(
            claims, User.Kind.UNIT, user, ip, unit=auth.unit.number, via="授权码"
        )
    _logged_in(link, ip, timezone.now())
    return user


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
