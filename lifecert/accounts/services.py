"""Account writes: registration, login limits, authorization codes, unit bindings.

Every function runs in a transaction and writes an audit row for what it changed.
"""

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.models import Person, Unit

from .models import AuthorizationCode, UnitBinding, User

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# A dummy hash so that an unknown login costs as much as a known one.
_DUMMY_PASSWORD_HASH = make_password("lifecert-dummy-password")


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
    """Create a personal account for a registered person (name must match)."""
    person = Person.objects.filter(ssn=ssn).first()
    if person is None or person.name != name.strip():
        raise AccountError(
            "未找到与该姓名和社会保障号码相符的参保登记信息，请核对，"
            "或携带身份证到参保地社保经办机构登记。",
            code="not_registered",
        )
    with transaction.atomic():
        if User.objects.filter(username=ssn).exists():
            raise AccountError(
                "该社会保障号码已注册，请直接登录；忘记密码请点击下方“忘记密码”。",
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


def login_with_limits(
    request: Any, *, username: str, password: str, kind: str, ip: str | None = None
) -> User:
    """Check the password, counting failures and locking the account for a while."""
    user = User.objects.filter(username=username, kind=kind).first()
    if user is None:
        # Same work as a real check so that timing does not tell whether it exists.
        hmac.compare_digest(_DUMMY_PASSWORD_HASH, make_password(password))
        raise AccountError("账号或密码错误。", code="bad_credentials")
    if user.locked_until is not None and user.is_locked():
        minutes = max(
            1, int((user.locked_until - timezone.now()).total_seconds() // 60) + 1
        )
        raise AccountError(
            f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试。", code="locked"
        )
    authenticated = authenticate(request, username=username, password=password)
    if authenticated is not None:
        if user.failed_logins or user.locked_until:
            user.failed_logins = 0
            user.locked_until = None
            user.save(update_fields=["failed_logins", "locked_until"])
        return authenticated
    # A wrong password: the count is committed before the refusal is raised.
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.failed_logins += 1
        left = settings.LOGIN_MAX_FAILURES - user.failed_logins
        if left <= 0:
            user.locked_until = timezone.now() + datetime.timedelta(
                minutes=settings.LOGIN_LOCK_MINUTES
            )
            user.failed_logins = 0
            user.save(update_fields=["failed_logins", "locked_until"])
            audit.record(AuditAction.ACCOUNT_LOCK, acting_user=None, target=user, ip=ip)
        else:
            user.save(update_fields=["failed_logins"])
    if left <= 0:
        raise AccountError(
            f"密码错误次数过多，账号已锁定 {settings.LOGIN_LOCK_MINUTES} 分钟。",
            code="locked",
        )
    raise AccountError(
        f"账号或密码错误，再错 {left} 次账号将被锁定。", code="bad_credentials"
    )


def change_password(*, user: User, old: str, new: str, ip: str | None = None) -> None:
    if not user.check_password(old):
        raise AccountError("原密码不正确。", code="bad_password")
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        audit.record(AuditAction.ACCOUNT_PASSWORD, acting_user=user, target=user, ip=ip)


# ---------------------------------------------------------------- authorization codes


def _code_hash(code: str) -> str:
    normalized = code.replace("-", "").replace(" ", "").upper()
    key = hashlib.sha256(("authcode:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()


def issue_authorization_code(
    *, unit: Unit, acting_user: Any, ip: str | None = None
) -> str:
    """Issue (or reissue) the unit's one code. The plain code is returned once only."""
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
            "failed_attempts": 0,
            "locked_at": None,
        }
        if existing:
            for field, value in values.items():
                setattr(existing, field, value)
            existing.save(update_fields=list(values))
        else:
            AuthorizationCode.objects.create(unit=unit, **values)
        audit.record(
            AuditAction.AUTHCODE_REISSUE if existing else AuditAction.AUTHCODE_ISSUE,
            acting_user=acting_user,
            target=unit,
            ip=ip,
            after={"expires_at": values["expires_at"].isoformat()},
        )
    return code


@dataclass
class OperatorInfo:
    name: str
    phone: str
    id_number: str


def bind_with_code(
    *,
    account: User,
    unit_number: str,
    code: str,
    operator: OperatorInfo,
    ip: str | None = None,
) -> UnitBinding:
    """Real-name a unit account by code (授权码实名认证 / 使用授权码添加绑定)."""
    if account.kind != User.Kind.UNIT:
        raise AccountError("只有单位账号可以绑定单位编号。", code="not_unit")
    unit_number = unit_number.strip()
    with transaction.atomic():
        auth = (
            AuthorizationCode.objects.select_for_update()
            .select_related("unit")
            .filter(unit__number=unit_number)
            .first()
        )
        if auth is None:
            raise AccountError(
                "该单位编号尚未获取授权码，请单位经办人前往参保地社保局办理“单位获取授权码”业务。",
                code="no_code",
            )
        if auth.locked_at is not None:
            raise AccountError(
                "授权码输错已达 5 次，已被锁定，请到参保地社保局重新获取授权码。",
                code="code_locked",
            )
        if auth.expires_at <= timezone.now():
            raise AccountError(
                "授权码已过期，请到参保地社保局重新获取授权码。", code="expired"
            )
        if hmac.compare_digest(auth.code_hash, _code_hash(code)):
            return _create_binding(
                account=account,
                unit=auth.unit,
                operator=operator,
                via=UnitBinding.Via.CODE,
                ip=ip,
            )
        # A wrong code: the failure is counted and committed before the refusal.
        auth.failed_attempts += 1
        fields = ["failed_attempts"]
        if auth.failed_attempts >= settings.AUTH_CODE_MAX_FAILURES:
            auth.locked_at = timezone.now()
            fields.append("locked_at")
        auth.save(update_fields=fields)
        audit.record(
            AuditAction.AUTHCODE_FAILURE,
            acting_user=account,
            target=auth.unit,
            ip=ip,
            after={"failed_attempts": auth.failed_attempts},
        )
        belongs_elsewhere = AuthorizationCode.objects.filter(
            code_hash=_code_hash(code)
        ).exists()
        left = settings.AUTH_CODE_MAX_FAILURES - auth.failed_attempts
    if belongs_elsewhere:
        hint, error_code = (
            "该授权码不属于此单位编号（一个单位编号对应一个授权码）。",
            "other_unit",
        )
    else:
        hint, error_code = "授权码不正确。", "bad_code"
    if left <= 0:
        raise AccountError(
            hint + "授权码输错已达 5 次，已被锁定，请到参保地社保局重新获取授权码。",
            code="code_locked",
        )
    raise AccountError(hint + f"还可尝试 {left} 次。", code=error_code)


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
    *,
    account: User,
    old_username: str,
    old_password: str,
    operator: OperatorInfo,
    ip: str | None = None,
) -> list[UnitBinding]:
    """使用旧账号添加绑定: bind every unit the old account holds to this one."""
    if account.kind != User.Kind.UNIT:
        raise AccountError("只有单位账号可以绑定单位编号。", code="not_unit")
    old = User.objects.filter(
        username=old_username.strip(), kind=User.Kind.UNIT
    ).first()
    if old is None or not old.check_password(old_password) or old.is_locked():
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
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise AccountError("该账号名已被使用，请换一个。", code="exists")
        user = User.objects.create_user(
            username=username, password=password, kind=User.Kind.UNIT
        )
        audit.record(AuditAction.ACCOUNT_REGISTER, acting_user=user, target=user, ip=ip)
    return user
