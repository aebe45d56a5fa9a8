"""Streaming .xlsx writer: constant memory, no formulas, typed cells.

Rows go straight into a deflated ``xl/worksheets/sheet1.xml`` inside the zip
as they come, so memory stays flat whatever the row count. The workbook is
written to an anonymous temporary file which the view streams back with
``FileResponse``.

It writes the SpreadsheetML itself rather than through openpyxl: openpyxl's
write-only mode (without lxml) takes 5.3 s for 50,000 rows of 7 columns, this
about 0.3 s on top of reading the rows (bench/bench_employer.py): rows are
taken 2,000 at a time and turned into cells a column at a time, a column of
plain text is checked once per chunk, a row is one generated f-string, cells
of repeated values are memoised, dates come as Excel serials from the
database (``reports.ExcelSerial``), and deflating runs in a second thread.
It is the one writer of every export. XlsxWriter's constant-memory mode was
measured against it on the same 50,000-row roster (bench/bench_xlsx_writer.py,
docs/benchmarks.md): the same cells and tests, but 6-8 times the time (6.8 to
12.3 s on the shared machine, 4.1 CPU-seconds; the budget is 5 s), so this
writer stays.
Safety by construction: the writer has no way to emit a
formula (``<f>``); every string is an inline string, and one that starts with
= + - @ also gets Excel's quote prefix, so editing the cell keeps it text.
Tests read every file back with openpyxl.
"""

import datetime
import queue
import re
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any
from xml.sax.saxutils import escape

from django.utils import timezone

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = "=+-@\t\r"  # first characters Excel reads as a formula

TEXT = "text"
DATE = "date"
DATETIME = "datetime"  # a datetime, or a float: an Excel serial in local time
NUMBER = "number"

# cellXfs indexes in _STYLES
_S_TEXT, _S_DATE, _S_DATETIME, _S_HEADER, _S_QUOTED = 1, 2, 3, 4, 5
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)  # noqa: DTZ001 Excel serials are naive
_EXCEL_EPOCH_DATE = _EXCEL_EPOCH.date()
_UNIX_EPOCH_DATE = datetime.date(1970, 1, 1)
_UNIX_EPOCH_SERIAL = float((_UNIX_EPOCH_DATE - _EXCEL_EPOCH_DATE).days)  # 25569
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ROWS_PER_WRITE = 2000


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT
    width: int = 16
    # Few distinct values (a status, a channel): each value's cell is built once.
    repeated: bool = False


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


def serial_day(serial: float) -> datetime.date:
    """The calendar day of an Excel serial number."""
    return _EXCEL_EPOCH_DATE + datetime.timedelta(days=int(serial))


class LocalTime:
    """Aware instants as wall-clock time in one zone, for 50,000 rows at a time.

    ``astimezone`` costs about 2 µs a value. A zone's offset changes at most
    once on any given day, so the offset is looked up at both ends of each UTC
    day once: when they agree it holds all day and is applied by arithmetic;
    on the day of a transition every value is converted exactly. Naive values
    are taken as wall-clock time already.
    """

    def __init__(self, zone: Any = None) -> None:
        self.zone = zone or timezone.get_current_timezone()
        self._offsets: dict[float, float | None] = {}  # UTC day → offset all day

    def _exact(self, stamp: float) -> float:
        utc = datetime.datetime.fromtimestamp(stamp, self.zone).utcoffset()
        return utc.total_seconds() if utc else 0.0

    def _day_offset(self, day: float) -> float | None:
        """The offset all through UTC day ``day`` (days since 1970), or None."""
        try:
            return self._offsets[day]
        except KeyError:
            first, last = self._exact(day * 86400), self._exact(day * 86400 + 86399)
            offset = self._offsets[day] = first if first == last else None
            return offset

    def _offset(self, value: datetime.datetime) -> tuple[float, float]:
        stamp = value.timestamp()
        offset = self._day_offset(stamp // 86400)
        if offset is None:  # a transition on this day
            offset = self._exact(stamp)
        return stamp, offset

    def local_serial(self, utc: float) -> float:
        """A UTC instant given as an Excel serial number, as one of local time."""
        offset = self._day_offset(utc // 1 - _UNIX_EPOCH_SERIAL)
        if offset is None:  # a transition on this day
            offset = self._exact((utc - _UNIX_EPOCH_SERIAL) * 86400)
        return utc + offset / 86400

    def serial(self, value: datetime.datetime) -> float:
        """The Excel serial number (days since 1899-12-30) of the local time."""
        if value.tzinfo is None:
            return (value - _EXCEL_EPOCH).total_seconds() / 86400
        stamp, offset = self._offset(value)
        return (stamp + offset) / 86400 + _UNIX_EPOCH_SERIAL

    def date(self, value: datetime.datetime) -> datetime.date:
        """The local calendar date of ``value``."""
        if value.tzinfo is None:
            return value.date()
        stamp, offset = self._offset(value)
        return _UNIX_EPOCH_DATE + datetime.timedelta(days=(stamp + offset) // 86400)


# A cell is written as '<c r="B7"' + one of the bodies below: the cell's
# attributes and value, or "/>" for an empty cell.
_EMPTY = "/>"
_TEXT_CLOSE = "</t></is></c>"
_EDGE_SPACE = " \t\n\r\u3000"  # kept by xml:space="preserve" only


def _text_open(style: int, preserve: bool = False) -> str:
    space = ' xml:space="preserve"' if preserve else ""
    return f' s="{style}" t="inlineStr"><is><t{space}>'


_TEXT_OPEN = _text_open(_S_TEXT)


def _text_body(value: Any, style: int = _S_TEXT) -> str:
    """An inline string cell; text Excel would read as a formula gets quotePrefix."""
    if value is None:
        return _EMPTY
    text = value if value.__class__ is str else str(value)
    if not text.isprintable():  # cheap test first; CJK text is printable
        text = _ILLEGAL_XML.sub("", text)
    if not text:
        return _EMPTY
    if "&" in text or "<" in text or ">" in text:
        text = escape(text)
    first = text[0]
    if first in FORMULA_TRIGGERS or first in _EDGE_SPACE or text[-1] in _EDGE_SPACE:
        if style == _S_TEXT and first in FORMULA_TRIGGERS:
            style = _S_QUOTED
        return _text_open(style, preserve=True) + text + _TEXT_CLOSE
    opening = _TEXT_OPEN if style == _S_TEXT else _text_open(style)
    return opening + text + _TEXT_CLOSE


_TEXT_EDGES = tuple(f"\n{c}" for c in FORMULA_TRIGGERS + _EDGE_SPACE) + tuple(
    f"{c}\n" for c in _EDGE_SPACE
)


def _plain_texts(values: tuple[Any, ...]) -> bool:
    """True when ``_text_body`` would only wrap each value: all of them non-empty,
    printable ``str`` with no markup, no formula trigger and no edge space.

    One test for a whole chunk of a column, run in C (``map`` over str methods,
    substring searches over the joined chunk), instead of one Python call a cell.
    """
    try:
        if not all(map(str.isprintable, values)):  # also: None, numbers
            return False
    except TypeError:
        return False
    probe = "\n" + "\n".join(values) + "\n"  # printable values hold no "\n"
    return (
        "\n\n" not in probe  # an empty string: an empty cell
        and "&" not in probe
        and "<" not in probe
        and ">" not in probe
        and not any(edge in probe for edge in _TEXT_EDGES)
    )


def _row_function(count: int) -> Callable[..., str]:
    """``row(number, body_1, …, body_count)``: one ``<row>`` with its cells.

    Generated as one f-string (the way ``dataclasses`` builds ``__init__``):
    half the time of ``str.format`` with the same fields, which reparses its
    template on every call; at 50,000 rows that is 40 ms of an export.
    """
    cells = "".join(
        f'<c r="{letter}{{n}}"{{c{index}}}'
        for index, letter in enumerate(_letters(count))
    )
    fields = ", ".join(f"c{index}" for index in range(count))
    source = f"def row(n, {fields}):\n    return f'<row r=\"{{n}}\">{cells}</row>'\n"
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # noqa: S102 the source is built above from letters only
    row: Callable[..., str] = namespace["row"]
    return row


class _Memo(dict[Any, str]):
    """Cell bodies by value for a column of few distinct values (dates, labels).

    A hit is a plain dict lookup, no Python call; the table is emptied when it
    grows past ``limit``, so memory stays flat whatever the column holds.
    """

    def __init__(self, body: Callable[[Any], str], limit: int = 4096) -> None:
        super().__init__()
        self._body = body
        self._limit = limit

    def __missing__(self, value: Any) -> str:
        if len(self) >= self._limit:
            self.clear()
        body = self[value] = self._body(value)
        return body


class _BackgroundSink:
    """Writes byte chunks to ``sink`` from a second thread.

    Deflating (zlib) and writing to the file release the GIL, so on two cores
    the compression of one chunk overlaps with formatting the next. The queue
    holds at most a few chunks, so memory stays flat.
    """

    def __init__(self, sink: IO[bytes]) -> None:
        self._sink = sink
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="xlsx-deflate")
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._sink.write(chunk)
                except BaseException as exc:  # re-raised in the caller
                    self._error = exc

    def write(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(chunk)

    def close(self) -> None:
        """Wait for every chunk to be written; re-raise a failure of the thread."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def _body_writer(kind: str, clock: LocalTime) -> Callable[[Any], str]:
    """The function that turns one value of a column of ``kind`` into a cell body."""
    if kind in (DATE, DATETIME):
        style = _S_DATE if kind == DATE else _S_DATETIME

        def date_body(value: Any) -> str:
            if value.__class__ is float:  # an Excel serial in local time already
                return f' s="{style}"><v>{value!r}</v></c>'
            if isinstance(value, datetime.datetime):
                if kind == DATE:
                    value = clock.date(value)
                else:
                    return f' s="{style}"><v>{clock.serial(value)!r}</v></c>'
            if isinstance(value, datetime.date):
                serial = float((value - _EXCEL_EPOCH_DATE).days)
                return f' s="{style}"><v>{serial!r}</v></c>'
            return _text_body(value)

        return date_body
    if kind == NUMBER:

        def number_body(value: Any) -> str:
            if value.__class__ in (int, float):
                return f"><v>{value!r}</v></c>"
            return _text_body(value)

        return number_body
    return _text_body


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


def _cells_of(column: Column, body: Callable[[Any], str]) -> Callable[..., list[str]]:
    """The cell bodies of one column for a chunk of values."""
    if column.kind == TEXT and not column.repeated:

        def text_cells(values: tuple[Any, ...]) -> list[str]:
            if _plain_texts(values):
                return [_TEXT_OPEN + value + _TEXT_CLOSE for value in values]
            return list(map(_text_body, values))

        return text_cells
    return lambda values: list(map(body, values))


def write_report(report: Report, target: IO[bytes]) -> int:
    """Write ``report`` as .xlsx into ``target``; returns the number of data rows.

    Rows are taken ``_ROWS_PER_WRITE`` at a time and turned into cells a column
    at a time (``zip(*chunk)``), so the per-cell work runs inside ``map`` and
    a column of plain text is checked once per chunk.
    """
    columns = report.columns
    width = len(columns)
    clock = LocalTime()  # the zone is looked up once, not per cell
    cell_makers = [
        _cells_of(
            column,
            _Memo(body).__getitem__ if column.repeated or column.kind == DATE else body,
        )
        for column in columns
        for body in [_body_writer(column.kind, clock)]
    ]
    row = _row_function(width)
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
            header = row(1, *(_text_body(c.header, _S_HEADER) for c in columns))
            sheet.write(
                (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    '<worksheet xmlns="http://schemas.openxmlformats.org/'
                    'spreadsheetml/2006/main"><sheetViews>'
                    '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2"'
                    ' activePane="bottomLeft" state="frozen"/>'
                    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
                    f"</sheetView></sheetViews><cols>{widths}</cols><sheetData>"
                    f"{header}"
                ).encode()
            )
            rows = iter(report.rows)
            deflate = _BackgroundSink(sheet)
            try:
                while chunk := list(islice(rows, _ROWS_PER_WRITE)):
                    for values in chunk:
                        if len(values) != width:
                            raise ValueError(
                                f"{report.title}: a row of {len(values)} values"
                            )
                    cells = [
                        make(values)
                        for make, values in zip(
                            cell_makers, zip(*chunk, strict=True), strict=True
                        )
                    ]
                    numbers = map(str, range(count + 2, count + 2 + len(chunk)))
                    count += len(chunk)
                    deflate.write("".join(map(row, numbers, *cells)).encode())
                deflate.write(b"</sheetData></worksheet>")
            finally:
                deflate.close()
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
