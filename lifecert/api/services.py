"""Issuing, rotating and revoking system tokens; checking one; auditing calls."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.models import Region

from .models import ApiToken, Scope

PREFIX = "lct"


@dataclass(frozen=True)
class ApiClient:
    """Who calls: a system, not a person. Passed to services as ``acting_user``.

    ``is_authenticated`` is False so that no account row is written as the
    actor or operator; the audit log names the system (``audit_label``), and
    the region-scoped helpers read ``staff_region_id`` as for staff.
    """

    token: ApiToken
    is_authenticated = False
    is_anonymous = False

    @property
    def audit_label(self) -> str:
        return f"接口:{self.token.system_name}"

    @property
    def staff_region_id(self) -> int | None:
        return self.token.region_id


def _hash(secret: str) -> str:
    # The secret is 256 random bits: a plain digest cannot be brute-forced.
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> tuple[str, str, str]:
    key = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return key, secret, f"{PREFIX}_{key}_{secret}"


def issue_token(
    *,
    system_name: str,
    scopes: list[str],
    region: Region | None,
    acting_user: Any,
    ip: str | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``system_name``; returns it and the secret, shown once."""
    unknown = set(scopes) - set(Scope.values)
    if unknown or not scopes:
        raise ValueError(f"unknown scopes {sorted(unknown)!r}")
    key, secret, plain = _new_secret()
    with transaction.atomic():
        token = ApiToken.objects.create(
            system_name=system_name,
            scopes=sorted(set(scopes)),
            region=region,
            key=key,
            secret_hash=_hash(secret),
            created_by=acting_user,
            created_at=timezone.now(),
        )
        audit.record(
            AuditAction.API_TOKEN_ISSUE,
            acting_user=acting_user,
            target=token,
            ip=ip,
            after={
                "system": system_name,
                "scopes": token.scopes,
                "region": region.code if region else "全省",
            },
            region_id=token.region_id,
        )
    return token, plain


def rotate_token(
    *, token: ApiToken, acting_user: Any, ip: str | None = None
) -> tuple[ApiToken, str]:
    """A new secret for the same token; the old one stops working at once."""
    if not token.active:
        raise ValueError("该令牌已停用，不能更换密钥。")
    key, secret, plain = _new_secret()
    with transaction.atomic():
        old_key = token.key
        token.key, token.secret_hash = key, _hash(secret)
        token.rotated_at = timezone.now()
        token.save(update_fields=["key", "secret_hash", "rotated_at"])
        audit.record(
            AuditAction.API_TOKEN_ROTATE,
            acting_user=acting_user,
            target=token,
            ip=ip,
            before={"key": old_key},
            after={"key": key},
            region_id=token.region_id,
        )
    return token, plain


def revoke_token(*, token: ApiToken, acting_user: Any, ip: str | None = None) -> None:
    """Stop the token for good."""
    if not token.active:
        raise ValueError("该令牌已停用。")
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.revoked_by = acting_user
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            AuditAction.API_TOKEN_REVOKE,
            acting_user=acting_user,
            target=token,
            ip=ip,
            after={"system": token.system_name},
            region_id=token.region_id,
        )


@dataclass(frozen=True)
class TokenCheck:
    """What a presented token proved: ``token`` when it is valid; otherwise
    ``reason`` (``malformed``, ``unknown_key``, ``wrong_secret``, ``revoked``),
    the public ``key`` when the token had our shape, and ``known`` the row
    that key names (someone holds part of a real token)."""

    token: ApiToken | None
    reason: str = ""
    key: str = ""
    known: ApiToken | None = None


def check_token(plain: str) -> TokenCheck:
    """Check ``lct_<key>_<secret>``; never keeps or returns the secret."""
    prefix, _, rest = plain.partition("_")
    key, _, secret = rest.partition("_")
    if prefix != PREFIX or not key or not secret:
        return TokenCheck(None, "malformed")
    token = ApiToken.objects.select_related("region").filter(key=key).first()
    if token is None:
        # The public part as the caller sent it, at most a key long.
        return TokenCheck(None, "unknown_key", key[:16])
    if token.active and hmac.compare_digest(token.secret_hash, _hash(secret)):
        return TokenCheck(token)
    reason = "revoked" if not token.active else "wrong_secret"
    return TokenCheck(None, reason, key, token)


def find_token(plain: str) -> ApiToken | None:
    """The active token ``plain`` proves, or None (wrong, unknown or revoked)."""
    return check_token(plain).token


def record_refusal(
    *,
    check: TokenCheck,
    path: str,
    method: str,
    status: int,
    ip: str | None,
) -> None:
    """One audit row for a call refused for want of a valid token (接口调用被拒绝):
    in the region of the token its key names, if any (province staff otherwise)."""
    known = check.known
    audit.record(
        AuditAction.API_REFUSED,
        acting_user=None,
        target=known,
        ip=ip,
        after={
            "reason": check.reason,
            "key": check.key,
            "path": path[:200],
            "method": method,
            "status": status,
        },
        region_id=known.region_id if known else None,
    )


def record_call(
    *,
    token: ApiToken,
    operation: str,
    status: int,
    ip: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    """One audit row per call (接口调用), and the token's last use."""
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    audit.record(
        AuditAction.API_CALL,
        acting_user=ApiClient(token),
        target=token,
        ip=ip,
        after={"operation": operation, "status": status, **(details or {})},
        region_id=token.region_id,
    )
