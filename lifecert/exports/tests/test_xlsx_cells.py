"""Cells of the XlsxWriter-based writer that the report tests do not reach."""

import datetime
import io
from decimal import Decimal

from openpyxl import load_workbook

from lifecert.exports.xlsx import DATE, DATETIME, NUMBER, Column, Report, write_report


def _reopen(report):
    buffer = io.BytesIO()
    count = write_report(report, buffer)
    buffer.seek(0)
    return count, load_workbook(buffer)


def test_odd_values_fall_back_to_text_and_dates_to_local_days():
    at = datetime.datetime(2026, 10, 31, 16, 30, tzinfo=datetime.UTC)  # 11-01 local
    columns = [Column("日", DATE), Column("时", DATETIME), Column("数", NUMBER)]
    rows = [
        (at, 46000.5, Decimal("1.50")),
        ("未知", "未知", "=1+1"),
    ]
    count, book = _reopen(Report("a/b:c", "t.xlsx", columns, rows))
    sheet = book.active
    assert count == 2
    assert sheet.title == "abc"
    assert sheet["A2"].value == datetime.datetime(2026, 11, 1)  # noqa: DTZ001
    assert sheet["B2"].is_date
    assert sheet["C2"].value == "1.50"
    assert [c.value for c in sheet[3]] == ["未知", "未知", "=1+1"]
    assert sheet["C3"].data_type == "s"
    assert sheet["C3"].quotePrefix


def test_control_characters_are_dropped_and_empty_text_is_no_cell():
    rows = [("a\x00b\x1f", ""), (7, None)]
    _, book = _reopen(Report("t", "t.xlsx", [Column("x"), Column("y")], rows))
    sheet = book.active
    assert sheet["A2"].value == "ab"
    assert sheet["B2"].value is None
    assert sheet["A3"].value == "7"
    assert sheet["A3"].data_type == "s"
