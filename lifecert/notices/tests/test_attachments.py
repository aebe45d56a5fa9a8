import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django import Settings

from lifecert.notices.attachments import AttachmentRefused, check_attachment

from .helpers import PDF, pdf_upload, xlsx_bytes


def test_a_pdf_is_accepted_with_its_name_type_and_size() -> None:
    checked = check_attachment(pdf_upload("附件/../关于认证的通知.PDF"))
    assert checked.name == "关于认证的通知.PDF"
    assert checked.content_type == "application/pdf"
    assert checked.size == len(PDF)


def test_an_xlsx_is_accepted_as_a_spreadsheet() -> None:
    checked = check_attachment(SimpleUploadedFile("名单.xlsx", xlsx_bytes()))
    assert checked.content_type.endswith("spreadsheetml.sheet")


def test_a_file_over_the_limit_is_refused_with_the_limit(settings: Settings) -> None:
    settings.NOTICE_ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024
    big = SimpleUploadedFile("大.pdf", PDF + b"0" * (2 * 1024 * 1024))
    with pytest.raises(AttachmentRefused, match="不能超过 2 MB"):
        check_attachment(big)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(AttachmentRefused, match="空文件"):
        check_attachment(SimpleUploadedFile("空.pdf", b""))


@pytest.mark.parametrize("name", ["page.html", "tool.exe", "noextension", "a.svg"])
def test_other_types_are_refused(name: str) -> None:
    with pytest.raises(AttachmentRefused, match="附件只能是"):
        check_attachment(SimpleUploadedFile(name, b"<html><script></script>"))


def test_a_renamed_file_whose_content_is_not_a_pdf_is_refused() -> None:
    with pytest.raises(AttachmentRefused, match="不符"):
        check_attachment(SimpleUploadedFile("通知.pdf", b"<html>not a pdf</html>"))
