"""What a notice's attachment may be: its size and its type, one place.

The type is checked twice: by the file name's extension, and by the first
bytes of the content, so a renamed executable or an HTML page is refused
whatever it is called. Office files are ZIP (docx, xlsx) or OLE2 (doc, xls)
containers.
"""

from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

_ZIP = (b"PK\x03\x04",)
_OLE2 = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)

# extension -> (content type given to the download, accepted first bytes)
TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ZIP,
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ZIP,
    ),
    "doc": ("application/msword", _OLE2),
    "xls": ("application/vnd.ms-excel", _OLE2),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}
ALLOWED_TEXT = "PDF、Word（doc/docx）、Excel（xls/xlsx）、JPEG 或 PNG"


class AttachmentRefused(ValueError):
    """The file may not be attached; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedAttachment:
    name: str
    content_type: str
    size: int


def max_bytes() -> int:
    return int(settings.NOTICE_ATTACHMENT_MAX_BYTES)


def check_attachment(upload: UploadedFile) -> CheckedAttachment:
    """The upload's shown name, content type and size, or ``AttachmentRefused``."""
    name = PurePath(upload.name or "").name[-120:]
    size = int(upload.size or 0)
    limit = max_bytes()
    if size > limit:
        raise AttachmentRefused(
            f"附件不能超过 {limit // (1024 * 1024)} MB，请压缩或拆分后重新上传。"
        )
    if size == 0:
        raise AttachmentRefused("附件是空文件，请重新选择。")
    extension = PurePath(name).suffix.lower().lstrip(".")
    known = TYPES.get(extension)
    if known is None:
        raise AttachmentRefused(f"附件只能是 {ALLOWED_TEXT} 文件。")
    content_type, signatures = known
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(signature) for signature in signatures):
        raise AttachmentRefused(
            f"附件内容与扩展名 .{extension} 不符，请上传原始的 {ALLOWED_TEXT} 文件。"
        )
    return CheckedAttachment(name=name, content_type=content_type, size=size)
