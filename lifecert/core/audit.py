"""Writing the audit log. Every service that changes state calls ``record``."""

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from lifecert.core.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's address as the server saw it (proxies set REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _label(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    username: str = user.get_username()
    return username


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
    model: type[Model],
    pks: Sequence[int],
    ip: str | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """One audit row per row of ``model`` in ``pks``, in set-based SQL.

    The rows are written by ``INSERT … SELECT`` from the target table itself, so
    auditing ten thousand bulk certifications costs one statement per chunk and
    no Python object per row. ``target_id`` is the row's public id, as in ``record``.
    """
    actor = acting_user if getattr(acting_user, "is_authenticated", False) else None
    # Table and column names are the models' own, never input.
    table, audit_table = model._meta.db_table, AuditEvent._meta.db_table
    if connection.vendor == "postgresql":
        public_id = "t.public_id::text"
        json_cast = "::jsonb"
    else:
        # SQLite keeps UUIDs as 32 hex digits; ``record`` writes the dashed form.
        h = "t.public_id"
        public_id = (
            f"substr({h},1,8)||'-'||substr({h},9,4)||'-'||substr({h},13,4)||'-'||"
            f"substr({h},17,4)||'-'||substr({h},21,12)"
        )
        json_cast = ""
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    written = 0
    for start in range(0, len(pks), 5000):
        chunk = list(pks[start : start + 5000])
        marks = ", ".join(["%s"] * len(chunk))
        sql = (
            f"INSERT INTO {audit_table} (at, actor_id, actor_label, action,"  # noqa: S608
            f" target_type, target_id, ip, before, after) SELECT %s, %s, %s, %s, %s,"
            f" {public_id}, %s, %s{json_cast}, %s{json_cast} FROM {table} t"
            f" WHERE t.id IN ({marks})"
        )
        params = [
            at,
            actor.pk if actor else None,
            _label(acting_user),
            action,
            model.__name__,
            ip,
            "{}",
            json.dumps(after or {}, ensure_ascii=False),
            *chunk,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            written += cursor.rowcount
    return written
