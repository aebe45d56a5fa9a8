"""自助打印单据: the PDF receipt of one certification, and its public check.

The receipt carries the certification's ``receipt_code`` (16 characters, about 80
bits, see ``services.new_receipt_code``) as text and as a QR code pointing at the
public 自助打印单据验证 page. Chinese text uses reportlab's built-in CID font
STSong-Light, so nothing is embedded and nothing is downloaded.
"""

import io
from dataclasses import dataclass

from django.utils import timezone
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from lifecert.core.masking import mask_id, mask_name

from .cycle import due_date_of
from .models import Certification

FONT = "STSong-Light"
_CODE_ALPHABET = set("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def format_code(code: str) -> str:
    """``ABCD2345EFGH6789`` -> ``ABCD-2345-EFGH-6789`` for reading aloud."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(raw: str) -> str:
    return "".join(raw.split()).replace("-", "").upper()


def find_by_code(raw: str) -> Certification | None:
    """The certification a receipt code belongs to; ``None`` for anything else."""
    code = normalise_code(raw or "")
    if len(code) != 16 or not set(code) <= _CODE_ALPHABET:
        return None
    return (
        Certification.objects.select_related("person", "region")
        .filter(receipt_code=code)
        .first()
    )


@dataclass
class PublicView:
    """What the public verification page may show: masked, nothing more."""

    name: str
    id_number: str
    certified_at: str
    channel: str
    region: str


def public_view(certification: Certification) -> PublicView:
    return PublicView(
        name=mask_name(certification.person.name),
        id_number=mask_id(certification.person.ssn),
        certified_at=timezone.localtime(certification.certified_at).strftime(
            "%Y-%m-%d %H:%M:%S"
        ),
        channel=certification.get_channel_display(),
        region=certification.region.name,
    )


def render_receipt(certification: Certification, verify_url: str) -> bytes:
    """The receipt as PDF bytes; ``verify_url`` is encoded in the QR code."""
    font = _font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle("养老待遇资格认证回执")
    pdf.setAuthor("广东社保服务 · LifeCert")
    width, height = A4
    left = 25 * mm
    y = height - 30 * mm

    pdf.setFont(font, 20)
    pdf.drawCentredString(width / 2, y, "企业职工领取养老保险待遇资格认证回执")
    y -= 10 * mm
    pdf.setFont(font, 11)
    pdf.drawCentredString(
        width / 2, y, "（自助打印单据，可在“自助打印单据验证”页面核对真伪）"
    )
    y -= 14 * mm

    person = certification.person
    entitlement = certification.entitlement
    next_due = due_date_of(entitlement) if entitlement is not None else None
    rows = [
        ("姓名", person.name),
        ("身份证号", mask_id(person.ssn)),
        ("参保地", certification.region.name),
        (
            "认证时间",
            timezone.localtime(certification.certified_at).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
        ),
        ("认证方式", certification.get_channel_display()),
        ("认证结果", "认证成功"),
        ("下次认证截止日期", next_due.isoformat() if next_due else "—"),
    ]
    pdf.setFont(font, 14)
    for label, value in rows:
        pdf.drawString(left, y, f"{label}：")
        pdf.drawString(left + 45 * mm, y, value)
        y -= 10 * mm

    y -= 4 * mm
    pdf.setFont(font, 16)
    pdf.drawString(left, y, f"验证码：{format_code(certification.receipt_code or '')}")

    qr_size = 42 * mm
    widget = QrCodeWidget(verify_url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(
        qr_size,
        qr_size,
        transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0],
    )
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, width - left - qr_size, y - 8 * mm)

    y -= 20 * mm
    pdf.setFont(font, 11)
    for line in (
        "扫描右侧二维码，或登录广东社保服务网站打开“自助打印单据验证”，",
        "输入上方验证码，即可核对本回执的真伪。",
        "社保机构不会通过短信、电话要求您转账或提供验证码以外的信息，谨防诈骗。",
    ):
        pdf.drawString(left, y, line)
        y -= 7 * mm

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
