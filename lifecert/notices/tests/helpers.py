"""Small files of each kind for attachment tests, and a notice factory."""

import datetime
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lifecert.notices.services import NoticeFields, publish_notice

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_upload(name: str = "通知.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


def fields(**overrides: Any) -> NoticeFields:
    values: dict[str, Any] = {
        "category": "policy",
        "title": "关于养老待遇资格认证的解读",
        "body": "## 要点\n\n- 每年认证一次\n- 可在手机上认证",
        "region": None,
        "publish_at": timezone.now() - datetime.timedelta(hours=1),
        "withdraw_at": None,
    }
    values.update(overrides)
    return NoticeFields(**values)


def make_notice(acting_user: Any, attachment: Any = None, **overrides: Any) -> Any:
    return publish_notice(
        acting_user=acting_user, fields=fields(**overrides), attachment=attachment
    )
