"""Streaming .xlsx writer: constant memory, no formulas, typed cells.

Rows go straight into a deflated ``xl/worksheets/sheet1.xml`` inside the zip
as they come, so memory stays flat whatever the row count. The workbook is
written to an anonymous temporary file which the view streams back with
``FileResponse``.

It writes the SpreadsheetML itself rather than through openpyxl: openpyxl's
write-only mode (without lxml) took 11 s for 50,000 rows of 7 columns, this
takes well under one. Safety by construction: the writer has no way to emit a
formula (``<f>``); every string is an inline string, and one that starts with
= + - @ also gets Excel's quote prefix, so editing the cell keeps it text.
Tests read every file back with openpyxl.
"""

import datetime
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any
from xml.sax.saxutils import escape

from django.utils import timezone

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

TEXT = "text"
DATE = "date"
DATETIME = "datetime"
NUMBER = "number"

# cellXfs indexes in _STYLES
_S_TEXT, _S_DATE, _S_DATETIME, _S_HEADER, _S_QUOTED = 1, 2, 3, 4, 5
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)  # noqa: DTZ001 Excel serials are naive
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ROWS_PER_WRITE = 500


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT
    width: int = 16


@dataclass
class Report:
    """A sheet: a title, typed columns and an iterator of row tuples."""

    title: str
    filename: str
    columns: list[Column]
    rows: Iterable[tuple[Any, ...]]
    meta: dict[str, Any] = field(default_factory=dict)


def _letters(count: int) -> list[str]:
    result = []
    for index in range(1, count + 1):
        name = ""
        while index:
            index, remainder = divmod(index - 1, 26)
            name = chr(65 + remainder) + name
        result.append(name)
    return result


def _text(ref: str, value: Any, style: int = _S_TEXT) -> str:
    text = str(value)
    if not text.isprintable():  # cheap test first; CJK text is printable
        text = _ILLEGAL_XML.sub("", text)
    if style == _S_TEXT and text.startswith(FORMULA_TRIGGERS):
        style = _S_QUOTED
    return (
        f'<c r="{ref}" s="{style}" t="inlineStr"><is>'
        f'<t xml:space="preserve">{escape(text)}</t></is></c>'
    )


def _serial(value: datetime.date | datetime.datetime, zone: Any) -> float:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(zone).replace(tzinfo=None)
        return (value - _EXCEL_EPOCH).total_seconds() / 86400
    return float((value - _EXCEL_EPOCH.date()).days)


def _cell(ref: str, value: Any, kind: str, zone: Any) -> str:
    if value is None or value == "":
        return ""
    if kind in (DATE, DATETIME) and isinstance(value, datetime.date):
        if kind == DATE and isinstance(value, datetime.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(zone)
            value = value.date()
        style = _S_DATE if kind == DATE else _S_DATETIME
        return f'<c r="{ref}" s="{style}"><v>{_serial(value, zone)!r}</v></c>'
    if (
        kind == NUMBER
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return _text(ref, value)


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/>'
    "</patternFill></fill></fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
    "</borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="6">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0"'
    ' applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0"'
    ' applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0"'
    ' applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1"'
    ' applyFill="1" applyAlignment="1"><alignment horizontal="center"/></xf>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0"'
    ' applyNumberFormat="1" quotePrefix="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def _workbook_xml(title: str) -> str:
    name = escape(re.sub(r"[\[\]:*?/\\]", "", title)[:31] or "Sheet1", {'"': "&quot;"})
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships"><sheets><sheet name="{name}" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )


def write_report(report: Report, target: IO[bytes]) -> int:
    """Write ``report`` as .xlsx into ``target``; returns the number of data rows."""
    columns = report.columns
    letters = _letters(len(columns))
    kinds = [column.kind for column in columns]
    zone = timezone.get_current_timezone()  # looked up once, not per cell
    count = 0
    with zipfile.ZipFile(
        target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1
    ) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook_xml(report.title))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            widths = "".join(
                f'<col min="{i}" max="{i}" width="{c.width}" customWidth="1"/>'
                for i, c in enumerate(columns, start=1)
            )
            header = "".join(
                _text(f"{letter}1", column.header, _S_HEADER)
                for letter, column in zip(letters, columns, strict=True)
            )
            sheet.write(
                (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    '<worksheet xmlns="http://schemas.openxmlformats.org/'
                    'spreadsheetml/2006/main"><sheetViews>'
                    '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2"'
                    ' activePane="bottomLeft" state="frozen"/>'
                    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
                    f"</sheetView></sheetViews><cols>{widths}</cols><sheetData>"
                    f'<row r="1">{header}</row>'
                ).encode()
            )
            buffer: list[str] = []
            for row in report.rows:
                count += 1
                number = count + 1
                cells = "".join(
                    _cell(f"{letter}{number}", value, kind, zone)
                    for letter, value, kind in zip(letters, row, kinds, strict=True)
                )
                buffer.append(f'<row r="{number}">{cells}</row>')
                if len(buffer) >= _ROWS_PER_WRITE:
                    sheet.write("".join(buffer).encode())
                    buffer.clear()
            sheet.write(("".join(buffer) + "</sheetData></worksheet>").encode())
    return count


def write_report_to_tempfile(report: Report) -> tuple[IO[bytes], int]:
    """The workbook in an anonymous temporary file (rewound), and its row count."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 closed by the response
    try:
        rows = write_report(report, handle)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle, rows
