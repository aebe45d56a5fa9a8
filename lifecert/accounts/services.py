"""Account writes: registration, login limits, authorization codes, unit bindings.

Every function runs in a transaction and writes an audit row for what it changed.
"""

import datetime
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, NoReturn

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from lifecert.certification.models import FaceSession
from lifecert.core import audit, throttle
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.models import Person, Unit

from .models import AuthorizationCode, UnitBinding, User

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class AccountError(Exception):
    """A business rule refused the request; ``message`` says what to do (Chinese)."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# ---------------------------------------------------------------- personal accounts


def register_personal(
    *, name: str, ssn: str, phone: str, password: str, ip: str | None = None
) -> User:
    """Create a personal account for a registered person (name must match).

    Wrong name + number pairs are throttled per address and per number in the
    shared cache, as the certification login is: the form must not be an
    oracle for who is insured under which number.
    """
    person = find_person_for_registration(name=name, ssn=ssn, ip=ip)
    with transaction.atomic():
        if User.objects.filter(username=ssn).exists():
            raise AccountError(
                "该社会保障号码已注册，请直接登录；忘记密码请点击下方“忘记密码”。"
                "如不是您本人注册的，请点击“人脸认证找回”。",
                code="exists",
            )
        user = User.objects.create_user(
            username=ssn,
            password=password,
            kind=User.Kind.PERSONAL,
            display_name=person.name,
            phone=phone,
            person=person,
        )
        audit.record(AuditAction.ACCOUNT_REGISTER, acting_user=user, target=user, ip=ip)
    return user


def find_person_for_registration(*, name: str, ssn: str, ip: str | None) -> Person:
    """The registered person with this name and number, throttled per address
    and per number (registration and reclaiming share the count)."""
    limits = [
        (throttle.per_address("register", ip), settings.REGISTER_MAX_PER_ADDRESS),
        (("register", "ssn", ssn), settings.REGISTER_MAX_PER_NUMBER),
    ]
    if throttle.is_blocked(limits):
        raise AccountError(
            f"输入错误次数过多，请 {throttle.minutes()} 分钟后再试。", code="throttled"
        )
    person = Person.objects.filter(ssn=ssn).first()
    if person is None or person.name != name.strip():
        throttle.record_failure(limits)
        raise AccountError(
            "未找到与该姓名和社会保障号码相符的参保登记信息，请核对，"
            "或携带身份证到参保地社保经办机构登记。",
            code="not_registered",
        )
    return person


def reclaim_personal_number(
    *,
    person: Person,
    face_session: FaceSession,
    phone: str,
    password: str,
    ip: str | None = None,
) -> User:
    """找回: the person, having just passed face certification, takes back a
    number someone else registered. The other account is retired (inactive,
    renamed, unlinked; its sessions end) and a new one made; both audited."""
    if (
        face_session.person_id != person.pk
        or face_session.status != FaceSession.Status.PASSED
    ):
        raise AccountError("请先通过人脸认证。", code="not_certified")
    with transaction.atomic():
        old = (
            User.objects.select_for_update()
            .filter(username=person.ssn, kind=User.Kind.PERSONAL)
            .first()
        )
        if old is not None:
            before = {"username": old.username, "phone": old.phone}
            old.username = f"{person.ssn}.retired.{uuid.uuid4().hex[:8]}"
            old.is_active = False
            old.person = None
            old.save(update_fields=["username", "is_active", "person"])
            audit.record(
                AuditAction.ACCOUNT_RETIRE,
                acting_user=None,
                target=old,
                ip=ip,
                before=before,
                after={"face_session": str(face_session.public_id)},
            )
        user = User.objects.create_user(
            username=person.ssn,
            password=password,
            kind=User.Kind.PERSONAL,
            display_name=person.name,
            phone=phone,
            person=person,
        )
        audit.record(
            AuditAction.ACCOUNT_RECLAIM,
            acting_user=user,
            target=user,
            ip=ip,
            after={"face_session": str(face_session.public_id)},
        )
    return user


def login_with_limits(
    request: HttpRequest, *, username: str, password: str, kind: str
) -> User:
    """Check the password of an account of ``kind``.

    django-axes (first in AUTHENTICATION_BACKENDS) counts wrong passwords and
    refuses a locked username + address; its middleware then shows the lockout
    page. Unknown accounts, wrong kinds and wrong passwords get one message.
    """
    user = authenticate(request, username=username, password=password, kind=kind)
    if not isinstance(user, User):
        raise AccountError("账号或密码错误。", code="bad_credentials")
    return user


def change_password(
    request: HttpRequest, *, user: User, old: str | None, new: str
) -> None:
    """修改密码: the old password is checked through django-axes like a login.
    An account without a usable password (made or linked by 统一身份认证, so
    logged in through the provider) sets one without it."""
    if user.has_usable_password():
        checked = authenticate(
            request, username=user.get_username(), password=old or "", kind=user.kind
        )
        if checked is None or checked.pk != user.pk:
            raise AccountError("原密码不正确。", code="bad_password")
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        audit.record(
            AuditAction.ACCOUNT_PASSWORD,
            acting_user=user,
            target=user,
            ip=audit.client_ip(request),
        )


# The temporary password read out at the counter: no look-alike characters,
# three groups of four (about 69 bits).
COUNTER_RESET_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"


def reset_password_at_counter(
    *, acting_user: Any, account: User, ip: str | None
) -> str:
    """窗口重置密码: staff who checked the holder's ID at the counter give a
    personal or unit account a one-time temporary password, returned once (it
    is never stored in clear nor written to the log). The account's other
    sessions end (Django ties them to the password) and a login lock on it is
    lifted; the holder is told to change it after logging in."""
    if account.kind not in (User.Kind.PERSONAL, User.Kind.UNIT):
        raise AccountError("只能重置个人或单位账号的密码。", code="not_resettable")
    temporary = temporary_password()
    with transaction.atomic():
        account.set_password(temporary)
        account.save(update_fields=["password"])
        audit.record(
            AuditAction.ACCOUNT_PASSWORD_RESET,
            acting_user=acting_user,
            target=account,
            ip=ip,
            after={"account": account.get_username(), "kind": account.kind},
        )
    lift_login_lock(account)
    return temporary


def temporary_password() -> str:
    """A one-time password to read out or hand over: three groups of four."""
    groups = [
        "".join(secrets.choice(COUNTER_RESET_ALPHABET) for _ in range(4))
        for _ in range(3)
    ]
    return "-".join(groups)


def lift_login_lock(account: User) -> int:
    """Forget the account's wrong passwords (django-axes), from every address;
    the number of records dropped."""
    from axes.utils import reset as axes_reset  # axes reads settings on import

    return int(axes_reset(username=account.get_username()))


# ---------------------------------------------------------------- authorization codes


def _code_hash(code: str) -> str:
    normalized = code.replace("-", "").replace(" ", "").upper()
    key = hashlib.sha256(("authcode:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()


def issue_authorization_code(
    *,
    unit: Unit,
    acting_user: Any,
    unbind_existing: bool = False,
    ip: str | None = None,
) -> str:
    """Issue (or reissue) the unit's one code. The plain code is returned once only.

    A reissue voids the old code; with ``unbind_existing`` the accounts already
    bound to the unit are unbound too (each one audited), for a unit whose
    operator left or whose code went astray.
    """
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
    now = timezone.now()
    with transaction.atomic():
        existing = (
            AuthorizationCode.objects.select_for_update().filter(unit=unit).first()
        )
        values = {
            "code_hash": _code_hash(code),
            "issued_by": acting_user,
            "issued_at": now,
            "expires_at": now + datetime.timedelta(days=settings.AUTH_CODE_VALID_DAYS),
            "used_at": None,
            "used_by": None,
        }
        if existing:
            for field, value in values.items():
                setattr(existing, field, value)
            existing.save(update_fields=list(values))
        else:
            AuthorizationCode.objects.create(unit=unit, **values)
        unbound = 0
        if unbind_existing:
            for binding in unit.bindings.select_related("unit", "account"):
                revoke_binding(acting_user=acting_user, binding=binding, ip=ip)
                unbound += 1
        audit.record(
            AuditAction.AUTHCODE_REISSUE if existing else AuditAction.AUTHCODE_ISSUE,
            acting_user=acting_user,
            target=unit,
            ip=ip,
            after={
                "expires_at": values["expires_at"].isoformat(),
                "unbound": unbound,
            },
        )
    return code


def revoke_binding(*, acting_user: Any, binding: UnitBinding, ip: str | None) -> None:
    """解除绑定 (staff): the account loses the unit from its next page on."""
    with transaction.atomic():
        audit.record(
            AuditAction.BINDING_REVOKE,
            acting_user=acting_user,
            target=binding,
            ip=ip,
            before={
                "account": binding.account.get_username(),
                "unit": binding.unit.number,
                "operator": binding.operator_name,
                "via": binding.via,
            },
        )
        binding.delete()


@dataclass
class OperatorInfo:
    name: str
    phone: str
    id_number: str


CODE_WRONG = (
    "单位编号或授权码不正确，请核对后重新输入。授权码需单位经办人前往参保地社保局"
    "办理“单位获取授权码”业务获取（一个单位编号对应一个授权码）。"
)


def code_limits(who: str, ip: str | None) -> list[tuple[tuple[str, ...], int]]:
    """Wrong authorization codes counted per ``who`` (an account, or an
    identity being linked) and per address; never per unit, which a stranger
    could lock."""
    return [
        (("authcode", "account", who), settings.AUTH_CODE_MAX_PER_ACCOUNT),
        (throttle.per_address("authcode", ip), settings.AUTH_CODE_MAX_PER_ADDRESS),
    ]


def refuse_if_throttled(limits: list[tuple[tuple[str, ...], int]]) -> None:
    if throttle.is_blocked(limits):
        raise AccountError(
            f"授权码输入错误次数过多，请 {throttle.minutes()} 分钟后再试。",
            code="throttled",
        )


def take_code(unit_number: str, code: str) -> AuthorizationCode | None:
    """The unit's live code for this pair, locked (inside a transaction), or
    None for a wrong pair. Used or expired: ``AccountError``, which only the
    holder of the right code sees."""
    now = timezone.now()
    auth = (
        AuthorizationCode.objects.select_for_update()
        .select_related("unit")
        .filter(unit__number=unit_number, code_hash=_code_hash(code))
        .first()
    )
    if auth is not None and auth.used_at is not None:
        raise AccountError(
            "该授权码已使用（一个授权码只能使用一次），"
            "请到参保地社保局重新获取授权码。",
            code="used",
        )
    if auth is not None and auth.expires_at <= now:
        raise AccountError(
            "授权码已过期，请到参保地社保局重新获取授权码。", code="expired"
        )
    return auth


def use_code(auth: AuthorizationCode, account: User, ip: str | None) -> None:
    """The code is used up, by ``account`` (audited 授权码已使用)."""
    auth.used_at = timezone.now()
    auth.used_by = account
    auth.save(update_fields=["used_at", "used_by"])
    audit.record(
        AuditAction.AUTHCODE_USED, acting_user=account, target=auth.unit, ip=ip
    )


def wrong_code(
    limits: list[tuple[tuple[str, ...], int]],
    *,
    acting_user: Any,
    unit_number: str,
    ip: str | None,
    via: str = "",
) -> NoReturn:
    """Count and audit a wrong pair; the same answer whether or not the unit
    has a code."""
    throttle.record_failure(limits)
    audit.record(
        AuditAction.AUTHCODE_FAILURE,
        acting_user=acting_user,
        target=Unit.objects.filter(number=unit_number).first(),
        ip=ip,
        after={"unit_number": unit_number, **({"via": via} if via else {})},
    )
    raise AccountError(CODE_WRONG, code="bad_code")


def bind_with_code(
    *,
    account: User,
    unit_number: str,
    code: str,
    operator: OperatorInfo,
    ip: str | None = None,
) -> UnitBinding:
    """Real-name a unit account by code (授权码实名认证 / 使用授权码添加绑定).

    The code is used up by the binding it makes. Wrong tries count per account
    and per address (``code_limits``), and every wrong pair gets the same
    answer, whether or not the unit has a code.
    """
    if account.kind != User.Kind.UNIT:
        raise AccountError("只有单位账号可以绑定单位编号。", code="not_unit")
    unit_number = unit_number.strip()
    limits = code_limits(str(account.pk), ip)
    refuse_if_throttled(limits)
    with transaction.atomic():
        auth = take_code(unit_number, code)
        if auth is not None:
            use_code(auth, account, ip)
            return _create_binding(
                account=account,
                unit=auth.unit,
                operator=operator,
                via=UnitBinding.Via.CODE,
                ip=ip,
            )
    wrong_code(limits, acting_user=account, unit_number=unit_number, ip=ip)


def _create_binding(
    *, account: User, unit: Unit, operator: OperatorInfo, via: str, ip: str | None
) -> UnitBinding:
    if UnitBinding.objects.filter(account=account, unit=unit).exists():
        raise AccountError(
            f"单位编号 {unit.number} 已绑定到本账号，无需重复绑定。", code="duplicate"
        )
    try:
        with transaction.atomic():
            binding = UnitBinding.objects.create(
                account=account,
                unit=unit,
                operator_name=operator.name,
                operator_phone=operator.phone,
                operator_id_number=operator.id_number,
                via=via,
            )
    except IntegrityError as exc:
        raise AccountError(
            f"单位编号 {unit.number} 已绑定到本账号，无需重复绑定。", code="duplicate"
        ) from exc
    audit.record(
        AuditAction.BINDING_CREATE,
        acting_user=account,
        target=binding,
        ip=ip,
        after={"unit": unit.number, "via": via, "operator": operator.name},
    )
    return binding


def bind_with_old_account(
    request: HttpRequest,
    *,
    account: User,
    old_username: str,
    old_password: str,
    operator: OperatorInfo,
) -> list[UnitBinding]:
    """使用旧账号添加绑定: bind every unit the old account holds to this one.

    The old account's password is checked through ``authenticate``, so
    django-axes counts and locks wrong tries as on the login pages; each
    wrong try is also audited against the account that made it.
    """
    if account.kind != User.Kind.UNIT:
        raise AccountError("只有单位账号可以绑定单位编号。", code="not_unit")
    ip = audit.client_ip(request)
    old = authenticate(
        request,
        username=old_username.strip(),
        password=old_password,
        kind=User.Kind.UNIT,
    )
    if not isinstance(old, User):
        audit.record(
            AuditAction.BINDING_OLD_ACCOUNT_FAILURE,
            acting_user=account,
            target=account,
            ip=ip,
            after={"old_username": old_username.strip()},
        )
        raise AccountError("旧账号或密码不正确。", code="bad_credentials")
    if old.pk == account.pk:
        raise AccountError("不能用当前账号绑定自己。", code="same_account")
    units = [b.unit for b in old.bindings.select_related("unit")]
    if not units:
        raise AccountError("该旧账号没有已绑定的单位编号。", code="no_units")
    with transaction.atomic():
        new = [
            u
            for u in units
            if not UnitBinding.objects.filter(account=account, unit=u).exists()
        ]
        if not new:
            raise AccountError(
                "旧账号的单位编号均已绑定到本账号，无需重复绑定。", code="duplicate"
            )
        return [
            _create_binding(
                account=account,
                unit=u,
                operator=operator,
                via=UnitBinding.Via.OLD_ACCOUNT,
                ip=ip,
            )
            for u in new
        ]


def update_binding_operator(
    *,
    account: User,
    binding: UnitBinding,
    operator: OperatorInfo,
    ip: str | None = None,
) -> UnitBinding:
    """修改绑定信息: only the unit account that holds the binding may change it."""
    if account.kind != User.Kind.UNIT or binding.account_id != account.pk:
        raise AccountError(
            "只有单位账号才有权限修改授权码绑定的经办人信息。", code="forbidden"
        )
    before = {
        "name": binding.operator_name,
        "phone": binding.operator_phone,
        "id_number": binding.operator_id_number,
    }
    with transaction.atomic():
        binding.operator_name = operator.name
        binding.operator_phone = operator.phone
        binding.operator_id_number = operator.id_number
        binding.save(
            update_fields=["operator_name", "operator_phone", "operator_id_number"]
        )
        audit.record(
            AuditAction.BINDING_UPDATE,
            acting_user=account,
            target=binding,
            ip=ip,
            before=before,
            after={
                "name": operator.name,
                "phone": operator.phone,
                "id_number": operator.id_number,
            },
        )
    return binding


def register_unit_account(
    *, username: str, password: str, ip: str | None = None
) -> User:
    """A new unit account. Names already taken are counted per address, as
    personal registration's wrong pairs are: the form must not be an unlimited
    oracle for which accounts (staff ones too) exist."""
    limits = [(throttle.per_address("register", ip), settings.REGISTER_MAX_PER_ADDRESS)]
    if throttle.is_blocked(limits):
        raise AccountError(
            f"尝试次数过多，请 {throttle.minutes()} 分钟后再试。", code="throttled"
        )
    # Counted outside the transaction: the count lives in the database cache,
    # and the refusal would roll it back.
    if User.objects.filter(username=username).exists():
        throttle.record_failure(limits)
        raise AccountError("该账号名已被使用，请换一个。", code="exists")
    with transaction.atomic():
        user = User.objects.create_user(
            username=username, password=password, kind=User.Kind.UNIT
        )
        audit.record(AuditAction.ACCOUNT_REGISTER, acting_user=user, target=user, ip=ip)
    return user
