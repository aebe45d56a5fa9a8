import datetime
import io
import zoneinfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from lifecert.certification import receipts
from lifecert.certification.models import Certification
from lifecert.certification.services import record_certification
from lifecert.demo import testing

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

VERIFY = reverse("pensioner:receipt-verify")


@pytest.fixture
def certification(personas):
    cert, _ = record_certification(
        entitlement=personas.entitlement,
        channel="face",
        acting_user=personas.pensioner_user,
        at=datetime.datetime(2026, 3, 19, 9, 31, 3, tzinfo=SHANGHAI),
    )
    return cert


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_receipt_pdf_opens_and_shows_the_chinese_text(client, personas, certification):
    client.force_login(personas.pensioner_user)
    response = client.get(reverse("pensioner:receipt", args=[certification.public_id]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    assert "企业职工领取养老保险待遇资格认证回执" in text
    assert "杨书维" in text
    assert "4306**********203X" in text
    assert "2026-03-19 09:31:03" in text
    assert "人脸自助" in text
    assert receipts.format_code(certification.receipt_code) in text
    assert "自助打印单据验证" in text


def test_receipt_qr_code_points_at_the_verification_page(certification):
    pdf = receipts.render_receipt(certification, "http://x/v?code=ABC")
    assert PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_receipt_of_another_person_is_404(client, personas, certification):
    stranger = testing.make_personal_user(testing.make_entitlement().person)
    client.force_login(stranger)
    url = reverse("pensioner:receipt", args=[certification.public_id])
    assert client.get(url).status_code == 404


def test_receipt_needs_a_certifying_person(client, certification):
    url = reverse("pensioner:receipt", args=[certification.public_id])
    assert client.get(url).status_code == 302


def test_valid_code_verifies_with_masked_facts(certification):
    page = Client().get(VERIFY, {"code": certification.receipt_code}).content.decode()
    assert "单据有效" in page
    assert "杨*维" in page
    assert "4306**********203X" in page
    assert "2026-03-19 09:31:03" in page
    assert "人脸自助" in page
    assert "杨书维" not in page
    assert "43060319920301203X" not in page


def test_printed_form_of_the_code_verifies_too(certification):
    printed = receipts.format_code(certification.receipt_code).lower()
    page = Client().get(VERIFY, {"code": printed}).content.decode()
    assert "单据有效" in page


@pytest.mark.parametrize(
    "forge",
    [
        lambda code: code[:-1] + ("A" if code[-1] != "A" else "B"),  # altered
        lambda code: "ABCDEFGHJKLMNPQR",  # forged
        lambda code: code + "2",  # too long
        lambda code: "' OR 1=1 --",
    ],
)
def test_forged_or_altered_codes_are_not_found(certification, forge):
    page = Client().get(VERIFY, {"code": forge(certification.receipt_code)})
    html = page.content.decode()
    assert "未找到该单据。" in html
    assert "单据有效" not in html
    assert "杨" not in html.split("未找到该单据")[0].split("<form")[1]


def test_verification_page_is_public_and_empty_at_first(client):
    page = client.get(VERIFY).content.decode()
    assert "自助打印单据验证" in page
    assert "未找到该单据" not in page


def test_a_receipt_code_is_unique_and_has_one_index(personas, certification):
    """Two certifications cannot share a code; on PostgreSQL the code has one
    index, the unique one, and no second (``varchar_pattern_ops``) for LIKE,
    which no query uses and every certification would pay for."""
    twin, _ = record_certification(
        entitlement=personas.entitlement,
        channel="face",
        acting_user=personas.pensioner_user,
        at=datetime.datetime(2026, 3, 20, 9, 0, tzinfo=SHANGHAI),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Certification.objects.filter(pk=twin.pk).update(
            receipt_code=certification.receipt_code
        )
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(
            cursor, Certification._meta.db_table
        )
    on_code = [
        name
        for name, index in indexes.items()
        if index["columns"] == ["receipt_code"] and (index["index"] or index["unique"])
    ]
    assert len(on_code) == 1, on_code
