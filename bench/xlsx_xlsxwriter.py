"""XlsxWriter (constant-memory mode) behind ``lifecert.exports.xlsx``'s interface.

The candidate measured by ``bench_xlsx_writer.py`` against the hand-written
writer; not shipped (it missed the 5 s budget, docs/benchmarks.md). It writes
the same cells: every string through ``write_string`` (formulas, URLs and
numbers from strings off), Excel's quote prefix on = + - @ tab, text columns
formatted "@", dates and times as date cells in local time.
"""

import datetime
import re
import shutil
import tempfile
from collections.abc import Callable
from typing import IO, Any

import xlsxwriter

from lifecert.exports.xlsx import (
    DATE,
    DATETIME,
    FORMULA_TRIGGERS,
    NUMBER,
    Column,
    LocalTime,
    Report,
)

# The interface the writer tests import from a writer module.
__all__ = ["DATE", "DATETIME", "NUMBER", "Column", "LocalTime", "Report"]
__all__ += ["write_report", "write_report_to_tempfile"]

_EXCEL_EPOCH_DATE = datetime.date(1899, 12, 30)
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_COPY_CHUNK = 1 << 16
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


Writer = Callable[[int, int, Any], None]


def _column_writer(kind: str, sheet: Any, formats: dict[str, Any]) -> Writer:
    text, quoted = formats["text"], formats["quoted"]
    write_string, write_number = sheet.write_string, sheet.write_number
    clock = LocalTime()  # the zone is looked up once, not per cell

    def text_cell(row: int, col: int, value: Any) -> None:
        if value is None:
            return
        value = value if value.__class__ is str else str(value)
        if not value.isprintable():  # cheap test first; CJK text is printable
            value = _ILLEGAL_XML.sub("", value)
        if not value:
            return
        if value[0] in FORMULA_TRIGGERS:
            write_string(row, col, value, quoted)
        else:
            write_string(row, col, value, text)

    if kind in (DATE, DATETIME):
        style = formats[kind]

        def date_cell(row: int, col: int, value: Any) -> None:
            if value.__class__ is float:  # an Excel serial in local time already
                write_number(row, col, value, style)
            elif isinstance(value, datetime.datetime):
                if kind == DATE:
                    day = clock.date(value)
                    write_number(row, col, (day - _EXCEL_EPOCH_DATE).days, style)
                else:
                    write_number(row, col, clock.serial(value), style)
            elif isinstance(value, datetime.date):
                write_number(row, col, (value - _EXCEL_EPOCH_DATE).days, style)
            else:
                text_cell(row, col, value)

        return date_cell
    if kind == NUMBER:

        def number_cell(row: int, col: int, value: Any) -> None:
            if value.__class__ in (int, float):
                write_number(row, col, value)
            else:
                text_cell(row, col, value)

        return number_cell
    return text_cell


def write_report(report: Report, target: IO[bytes]) -> int:
    """Write ``report`` as .xlsx into ``target``; returns the number of data rows.

    The workbook is built in a temporary file and then copied: a target that
    fails (a full disk, a closed connection) raises its own error from the
    copy, while XlsxWriter's zip is always closed on a file that works.
    """
    with tempfile.TemporaryFile(suffix=".xlsx") as built:
        count = _write(report, built)
        built.seek(0)
        shutil.copyfileobj(built, target, _COPY_CHUNK)
    return count


def _write(report: Report, target: IO[bytes]) -> int:
    book = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    try:
        name = _SHEET_NAME.sub("", report.title)[:31] or "Sheet1"
        sheet = book.add_worksheet(name)
        formats = {
            "text": book.add_format({"num_format": "@"}),
            "quoted": book.add_format({"num_format": "@", "quote_prefix": True}),
            DATE: book.add_format({"num_format": "yyyy-mm-dd"}),
            DATETIME: book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        }
        header = book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "align": "center", "num_format": "@"}
        )
        columns = report.columns
        width = len(columns)
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
            sheet.write_string(0, index, column.header, header)
        sheet.freeze_panes(1, 0)
        writers = [_column_writer(c.kind, sheet, formats) for c in columns]
        count = 0
        for count, values in enumerate(report.rows, start=1):
            if len(values) != width:
                raise ValueError(f"{report.title}: a row of {len(values)} values")
            for col, (write, value) in enumerate(zip(writers, values, strict=True)):
                if value is not None:
                    write(count, col, value)
    finally:
        book.close()
    return count


def write_report_to_tempfile(report: Report) -> tuple[IO[bytes], int]:
    """The workbook in an anonymous temporary file (rewound), and its row count."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 closed by the response
    try:
        rows = _write(report, handle)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle, rows
