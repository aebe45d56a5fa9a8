"""Checked registry uploads waiting for their confirmation (导入预览 → 确认导入).

The upload's bytes and the plan staff were shown (counts, rows, fingerprint)
are kept under ``VAR_DIR/imports`` by a random token, for the staff member who
uploaded it only, for ``IMPORT_PENDING_HOURS``. Files, not the session or the
database: a 200,000-row plan is too large for a session row, and any worker
reads the same ``VAR_DIR`` (or a shared volume) behind a load balancer.
"""

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from lifecert.registry.import_plan import Plan


@dataclass
class Pending:
    token: uuid.UUID
    user_id: int
    fingerprint: str
    counts: dict[str, int]
    rows: list[dict[str, Any]]
    skipped: list[list[Any]]
    file_name: str

    def data(self) -> bytes:
        return _path(self.token, "xlsx").read_bytes()


def _folder() -> Path:
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(token: uuid.UUID, suffix: str) -> Path:
    return _folder() / f"{token.hex}.{suffix}"


def _sweep() -> None:
    """Forget uploads nobody confirmed in time."""
    oldest = time.time() - settings.IMPORT_PENDING_HOURS * 3600
    for path in _folder().iterdir():
        if path.stat().st_mtime < oldest:
            path.unlink(missing_ok=True)


def save(data: bytes, *, user: Any, plan: Plan, file_name: str) -> uuid.UUID:
    """Keep ``data`` and the ``plan`` shown for it; the token of the preview."""
    _sweep()
    token = uuid.uuid4()
    _path(token, "xlsx").write_bytes(data)
    _write_plan(token, user.pk, plan, file_name)
    return token


def _write_plan(token: uuid.UUID, user_id: int, plan: Plan, file_name: str) -> None:
    meta = {
        "user": user_id,
        "fingerprint": plan.fingerprint,
        "counts": plan.counts(),
        "rows": plan.display(),
        "skipped": plan.skipped,
        "file_name": file_name,
    }
    _path(token, "json").write_text(json.dumps(meta, ensure_ascii=False))


def load(token: uuid.UUID, user: Any) -> Pending | None:
    """The upload ``user`` made under ``token``; ``None`` for anyone else's,
    an expired or a confirmed one."""
    try:
        meta = json.loads(_path(token, "json").read_text())
    except FileNotFoundError:
        return None
    if meta["user"] != user.pk or not _path(token, "xlsx").exists():
        return None
    return Pending(
        token,
        meta["user"],
        meta["fingerprint"],
        meta["counts"],
        meta["rows"],
        meta["skipped"],
        meta["file_name"],
    )


def claim(pending: Pending) -> bool:
    """Take the upload for one confirmation: a second click (or worker) that
    comes while the first is writing finds it gone. ``False``: taken already."""
    try:
        _path(pending.token, "json").rename(_path(pending.token, "confirming"))
    except FileNotFoundError:
        return False
    return True


def release(pending: Pending, plan: Plan) -> None:
    """Give a claimed upload back, with the new ``plan`` to show."""
    _write_plan(pending.token, pending.user_id, plan, pending.file_name)
    _path(pending.token, "confirming").unlink(missing_ok=True)


def discard(token: uuid.UUID) -> None:
    for suffix in ("json", "xlsx", "confirming"):
        _path(token, suffix).unlink(missing_ok=True)
