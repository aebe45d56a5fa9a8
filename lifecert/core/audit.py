"""Writing the audit log. Every service that changes state calls ``record``."""

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from lifecert.core.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's address as the server saw it (proxies set REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _label(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return user.get_username()


def record(
    action: str,
    *,
    acting_user: Any,
    target: Any = None,
    ip: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit row for ``action`` done by ``acting_user`` on ``target``."""
    actor = acting_user if getattr(acting_user, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=_label(acting_user),
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "public_id", getattr(target, "pk", ""))),
        ip=ip,
        before=before or {},
        after=after or {},
    )


def record_many(
    action: str,
    *,
    acting_user: Any,
    target_type: str,
    target_ids: Iterable[str],
    ip: str | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """One audit row per target in a single bulk insert (bulk certifications)."""
    actor = acting_user if getattr(acting_user, "is_authenticated", False) else None
    label = _label(acting_user)
    rows = [
        AuditEvent(
            actor=actor,
            actor_label=label,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            ip=ip,
            after=after or {},
        )
        for target_id in target_ids
    ]
    AuditEvent.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
