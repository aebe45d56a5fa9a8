"""Reading an uploaded .xlsx safely: the limits every Excel import shares.

An .xlsx is a zip of XML. Before openpyxl parses anything the zip is checked:
its unpacked size (each member's, as the central directory declares it; Python's
``zipfile`` never unpacks past that size) and its packing ratio, and then each
member is unpacked in chunks and searched for a run of text too long to be a
cell, so a 300 KB file holding a 300 MB cell is refused after reading a few KB
instead of taking gigabytes. The rows openpyxl then yields are counted and every
cell's length is checked: a long cell is an error of its row, quoted only by a
short prefix. The limits are settings (``IMPORT_*`` in ``lifecert/settings.py``).
"""

import datetime
import io
import unicodedata
import zipfile
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

NOT_XLSX = "文件不是有效的 Excel（.xlsx）文件，请按导入模板另存为 .xlsx 后重新上传。"
# Errors quote at most this many characters of a cell.
QUOTE_CHARS = 20
# Bytes of XML a cell of IMPORT_MAX_CELL_CHARS characters may take at most:
# up to 4 bytes a character in UTF-8, or an escape such as ``&#x1F600;``.
_XML_BYTES_PER_CHAR = 10
_XML_SLACK = 1024
_CHUNK = 1024 * 1024


class ImportRejected(Exception):
    """The file was refused as a whole; ``errors`` lists (row, message)."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def quote(text: str) -> str:
    """A cell as an error message quotes it: at most ``QUOTE_CHARS`` characters."""
    if len(text) <= QUOTE_CHARS:
        return text
    return text[:QUOTE_CHARS] + "…"


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def cell_code(value: Any) -> str:
    """A code, number or amount as typed: full-width characters (a Chinese
    input method's ４４０１００, its ideographic space) as the ASCII ones, no
    spaces. Names and addresses are read by ``cell_text``: NFKC would turn
    their full-width brackets into ASCII ones the registry does not hold."""
    return unicodedata.normalize("NFKC", cell_text(value)).replace(" ", "")


def cell_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_code(value).replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 a date
        except ValueError:
            continue
    return None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _refuse(message: str) -> ImportRejected:
    return ImportRejected([(0, message)])


def check_zip(data: bytes) -> bool:
    """Refuse a file that is too large, unpacks too far, or hides a huge cell.

    True: a worksheet holds formulas (worth a second reading, ``read_rows``)."""
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise _refuse(
            f"文件大小超过 {_megabytes(settings.IMPORT_MAX_BYTES)}，请分批导入。"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _refuse(NOT_XLSX) from exc
    limit, ratio = settings.IMPORT_MAX_UNPACKED_BYTES, settings.IMPORT_MAX_ZIP_RATIO
    unpacked = sum(member.file_size for member in members)
    packed_too_far = any(
        member.file_size > _CHUNK
        and member.file_size > ratio * max(member.compress_size, 1)
        for member in members
    )
    if unpacked > limit or packed_too_far:
        raise _refuse(
            f"文件解压后过大（{_megabytes(unpacked)}，最多 {_megabytes(limit)}，"
            f"压缩比最多 {ratio} 倍），可能不是正常的 Excel 文件；请分批导入，"
            "或用 Excel 打开后另存为 .xlsx 再上传。"
        )
    longest = settings.IMPORT_MAX_CELL_CHARS * _XML_BYTES_PER_CHAR + _XML_SLACK
    max_rows = settings.IMPORT_MAX_ROWS
    formulas = False
    try:
        for member in members:
            text, rows, found = _scan(archive, member)
            sheet = member.filename.startswith("xl/worksheets/")
            formulas = formulas or (sheet and found)
            if text > longest:
                raise _refuse(
                    f"文件中有超长的单元格（远超 {settings.IMPORT_MAX_CELL_CHARS}"
                    " 个字符），请删除后重新上传。"
                )
            # A sheet of a million rows is refused here in a second, not
            # after openpyxl has read the first 200,000 of them.
            if sheet and rows > max_rows + 1:
                raise _refuse(f"工作表超过 {max_rows} 行数据（表头除外），请分批导入。")
    except ImportRejected:
        raise
    except Exception as exc:
        # zlib, CRC and truncation errors of a damaged zip: all mean the same.
        raise _refuse(NOT_XLSX) from exc
    return formulas


def _scan(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> tuple[int, int, bool]:
    """The longest run of bytes without ``<`` in ``member`` (the bound on any
    cell's text: XML escapes ``<`` in text), about how many ``<row``
    elements it holds (one split by a chunk's end is missed) and whether it
    holds a formula (``<f>``, ``<f t=…/>``; a chunk's last bytes are kept for
    the next), read in chunks, never whole."""
    longest = run = rows = 0
    formulas = False
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            rows += chunk.count(b"<row ") + chunk.count(b"<row>")
            seen = tail + chunk[:3]
            formulas = formulas or any(
                tag in part for part in (chunk, seen) for tag in (b"<f>", b"<f ")
            )
            tail = chunk[-3:]
            parts = chunk.split(b"<")
            if len(parts) == 1:
                run += len(chunk)
            else:
                longest = max(longest, run + len(parts[0]), *map(len, parts[1:-1]))
                run = len(parts[-1])
            longest = max(longest, run)
    return longest, rows, formulas


def read_rows(data: bytes) -> tuple[list[str], list[tuple[int, tuple[Any, ...]]]]:
    """Header and numbered data rows of the first sheet; raises ImportRejected.

    Refused as a whole: a file over the limits (``check_zip``) or with more
    than ``IMPORT_MAX_ROWS`` rows. A cell over ``IMPORT_MAX_CELL_CHARS`` is an
    error of its row; all such rows are reported together.
    """
    formulas = check_zip(data)
    max_rows, max_chars = settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_CELL_CHARS
    errors: list[tuple[int, str]] = []
    header: list[str] = []
    numbered: list[tuple[int, tuple[Any, ...]]] = []
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        written = _formulas(data) if formulas else None
        for index, row in enumerate(rows, start=1):
            if index - 1 > max_rows:
                raise ImportRejected(
                    [(index, f"最多导入 {max_rows} 行数据，请分批导入。")]
                )
            long = [
                (column, cell)
                for column, cell in enumerate(row, start=1)
                if isinstance(cell, str) and len(cell) > max_chars
            ]
            unresolved = _unresolved(row, next(written, ()) if written else ())
            if long:
                errors.append((index, _too_long(long, max_chars)))
            elif unresolved and index > 1:
                errors.append((index, _formula_cells(unresolved, header)))
            elif index == 1:
                header = [cell_text(cell) for cell in row]
            elif any(cell_text(cell) for cell in row):
                numbered.append((index, tuple(row)))
        workbook.close()
    except ImportRejected:
        raise
    except Exception as exc:
        # openpyxl raises a zoo of errors on a damaged file; all mean the same here.
        raise _refuse(NOT_XLSX) from exc
    if errors:
        raise ImportRejected(errors)
    return header, numbered


def _formulas(data: bytes) -> Iterator[tuple[Any, ...]]:
    """The first sheet's rows as written: a formula cell as its ``=…`` text."""
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    yield from workbook.worksheets[0].iter_rows(values_only=True)
    workbook.close()


def _unresolved(
    row: tuple[Any, ...], written: tuple[Any, ...]
) -> list[tuple[int, str]]:
    """The formula cells Excel left without a result (a file written by a
    program, not saved in Excel): read for their value, they are empty."""
    return [
        (column, text)
        for column, (cell, text) in enumerate(zip(row, written, strict=False), start=1)
        if cell is None and isinstance(text, str) and text.startswith("=")
    ]


def _formula_cells(cells: list[tuple[int, str]], header: list[str]) -> str:
    def label(column: int) -> str:
        name = header[column - 1] if column <= len(header) else ""
        return name or f"第 {get_column_letter(column)} 列"

    def what(column: int) -> str:
        name = label(column)
        return "号码" if any(w in name for w in ("号码", "代码", "编号")) else "内容"

    return "；".join(
        f"{label(column)}：单元格是公式（{quote(text)}），请填写{what(column)}本身"
        for column, text in cells
    )


def _too_long(cells: list[tuple[int, str]], max_chars: int) -> str:
    return "；".join(
        f"第 {get_column_letter(column)} 列内容过长（{len(text)} 个字符，"
        f"最多 {max_chars} 个）：“{quote(text)}”"
        for column, text in cells
    )
