"""The application form (申请表) of 点击查看办事指南, generated on the fly."""

from typing import IO, Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side

from .xlsx import FORMULA_TRIGGERS

BLANK_ROWS = 20
HEADERS = ["序号", "姓名", "证件号码", "联系电话", "居住地址", "备注"]


def _text(cell: Cell, value: str) -> None:
    """``value`` as text, never a formula: openpyxl writes a string that starts
    with ``=`` as one. Quote-prefixed as the streaming writer does (xlsx.py)."""
    cell.value = value
    cell.data_type = "s"
    if value[:1] in FORMULA_TRIGGERS:
        cell.quotePrefix = True


def write_application_form(*, unit: Any, operator_name: str, target: IO[bytes]) -> None:
    """企业职工领取养老保险待遇资格认证申请表, pre-filled with the unit."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "申请表"
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.merge_cells("A1:F1")
    sheet["A1"] = "企业职工领取养老保险待遇资格认证申请表"
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet["A2"] = "单位名称"
    _text(sheet["B2"], unit.name)
    sheet["D2"] = "单位编号"
    sheet["E2"] = unit.number
    sheet["E2"].number_format = "@"
    sheet["A3"] = "经办人"
    _text(sheet["B3"], operator_name)
    sheet["D3"] = "填表日期"
    sheet["E3"] = timezone.localdate()
    sheet["E3"].number_format = "yyyy-mm-dd"
    for index, header in enumerate(HEADERS, start=1):
        cell = sheet.cell(row=5, column=index, value=header)
        cell.font = Font(bold=True)
        cell.border = box
    for row in range(6, 6 + BLANK_ROWS):
        sheet.cell(row=row, column=1, value=row - 5).border = box
        for column in range(2, len(HEADERS) + 1):
            cell = sheet.cell(row=row, column=column)
            cell.border = box
            cell.number_format = "@"
    end = 6 + BLANK_ROWS + 1
    sheet.cell(
        row=end,
        column=1,
        value="本单位承诺：以上人员待遇领取状态为正常，均健在，所填信息真实准确。",
    )
    sheet.cell(row=end + 2, column=1, value="单位（盖章）：")
    sheet.cell(row=end + 2, column=4, value="经办人（签字）：")
    for letter, width in zip("ABCDEF", (8, 12, 22, 16, 36, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A6"
    workbook.save(target)
