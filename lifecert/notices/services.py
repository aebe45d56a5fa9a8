"""Publishing, changing and withdrawing notices: every write, each audited."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.access import staff_regions
from lifecert.registry.models import Region

from .attachments import AttachmentRefused, check_attachment
from .markup import render_markdown
from .models import Notice


class NoticeError(ValueError):
    """A refused change; ``message`` says why, ``field`` which input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class NoticeFields:
    category: str
    title: str
    body: str
    region: Region | None
    publish_at: datetime.datetime
    withdraw_at: datetime.datetime | None = None


def _check(acting_user: Any, fields: NoticeFields) -> None:
    if fields.region is None:
        if acting_user.staff_region_id is not None:
            raise NoticeError("全省范围的公告由省级经办人员发布。", "region")
    elif not staff_regions(acting_user).filter(pk=fields.region.pk).exists():
        raise NoticeError("只能发布本地区的公告。", "region")
    if fields.withdraw_at is not None and fields.withdraw_at <= fields.publish_at:
        raise NoticeError("撤回时间须晚于发布时间。", "withdraw_at")


def _snapshot(notice: Notice) -> dict[str, Any]:
    return {
        "category": notice.category,
        "title": notice.title,
        "body_chars": len(notice.body),
        "region": notice.region.code if notice.region else "全省",
        "publish_at": notice.publish_at.isoformat(),
        "withdraw_at": notice.withdraw_at.isoformat() if notice.withdraw_at else None,
        "attachment": notice.attachment_name,
    }


def _apply(notice: Notice, fields: NoticeFields) -> None:
    notice.category = fields.category
    notice.title = fields.title
    notice.body = fields.body
    notice.body_html = render_markdown(fields.body)
    notice.region = fields.region
    notice.publish_at = fields.publish_at
    notice.withdraw_at = fields.withdraw_at


def _attach(notice: Notice, upload: UploadedFile) -> None:
    try:
        checked = check_attachment(upload)
    except AttachmentRefused as exc:
        raise NoticeError(exc.message, "attachment") from None
    upload.seek(0)
    notice.attachment_data = upload.read()
    notice.attachment_name = checked.name
    notice.attachment_type = checked.content_type
    notice.attachment_size = checked.size


def _detach(notice: Notice) -> None:
    notice.attachment_data = b""
    notice.attachment_name = notice.attachment_type = ""
    notice.attachment_size = 0


def publish_notice(
    *,
    acting_user: Any,
    fields: NoticeFields,
    attachment: UploadedFile | None = None,
    ip: str | None = None,
) -> Notice:
    """发布公告: a new notice, shown from ``publish_at`` (audited)."""
    _check(acting_user, fields)
    with transaction.atomic():
        notice = Notice(created_by=acting_user)
        _apply(notice, fields)
        if attachment is not None:
            _attach(notice, attachment)
        notice.save()
        audit.record(
            AuditAction.NOTICE_PUBLISH,
            acting_user=acting_user,
            target=notice,
            ip=ip,
            after=_snapshot(notice),
        )
    return notice


def update_notice(
    *,
    acting_user: Any,
    notice: Notice,
    fields: NoticeFields,
    attachment: UploadedFile | None = None,
    remove_attachment: bool = False,
    ip: str | None = None,
) -> Notice:
    """修改公告: new text, scope, dates or attachment (audited before/after)."""
    _check(acting_user, fields)
    with transaction.atomic():
        before = _snapshot(notice)
        _apply(notice, fields)
        if attachment is not None:
            _attach(notice, attachment)
        elif remove_attachment:
            _detach(notice)
        notice.save()
        audit.record(
            AuditAction.NOTICE_UPDATE,
            acting_user=acting_user,
            target=notice,
            ip=ip,
            before=before,
            after=_snapshot(notice),
        )
    return notice


def withdraw_notice(
    *, acting_user: Any, notice: Notice, ip: str | None = None
) -> Notice:
    """撤回公告 now: it leaves the portal at once (audited). A notice already
    withdrawn keeps its withdrawal time and writes nothing."""
    now = timezone.now()
    if notice.withdraw_at is not None and notice.withdraw_at <= now:
        return notice
    with transaction.atomic():
        before = _snapshot(notice)
        notice.withdraw_at = now
        notice.save(update_fields=["withdraw_at", "updated_at"])
        audit.record(
            AuditAction.NOTICE_WITHDRAW,
            acting_user=acting_user,
            target=notice,
            ip=ip,
            before=before,
            after=_snapshot(notice),
        )
    return notice
