"""The limits every Excel import shares (``excel.read_rows``), at their edges."""

import io
import random
import zipfile

import pytest
from openpyxl import Workbook

from lifecert.registry import excel
from lifecert.registry.excel import NOT_XLSX, ImportRejected, quote, read_rows

_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_cell(text: str) -> bytes:
    """A workbook whose second row holds ``text``, written into the zip as is
    (openpyxl itself cuts a cell at Excel's 32,767 characters)."""
    source = zipfile.ZipFile(io.BytesIO(_xlsx([["姓名"], ["PLACEHOLDER"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info).replace(b"PLACEHOLDER", text.encode())
            target.writestr(info.filename, content)
    return buffer.getvalue()


def _refused(data: bytes) -> list[tuple[int, str]]:
    with pytest.raises(ImportRejected) as caught:
        read_rows(data)
    return caught.value.errors


def _letters(count: int) -> str:
    """Text that packs about as well as real text (not a run of one letter)."""
    return "".join(random.Random(count).choices("赵钱孙李周吴郑王abc123", k=count))


def test_a_good_file_gives_its_header_and_numbered_rows():
    header, rows = read_rows(_xlsx([["a", "b"], [1, "x"], [None, None], [2, "y"]]))
    assert header == ["a", "b"]
    assert rows == [(2, (1, "x")), (4, (2, "y"))]


def test_an_empty_sheet_has_no_header():
    assert read_rows(_xlsx([])) == ([], [])


def test_a_file_over_the_size_limit_is_refused(settings):
    data = _xlsx([["a"], ["b"]])
    settings.IMPORT_MAX_BYTES = len(data) - 1
    [(row, message)] = _refused(data)
    assert row == 0
    assert "文件大小超过" in message
    settings.IMPORT_MAX_BYTES = len(data)
    assert read_rows(data)[0] == ["a"]


def test_more_rows_than_the_limit_are_refused(settings):
    settings.IMPORT_MAX_ROWS = 3
    assert len(read_rows(_xlsx([["h"], [1], [2], [3]]))[1]) == 3
    [(row, message)] = _refused(_xlsx([["h"], [1], [2], [3], [4]]))
    assert row == 0  # counted in the zip, before openpyxl reads a row
    assert "工作表超过 3 行数据" in message


def test_rows_the_zip_scan_does_not_see_are_still_counted(settings):
    # Some writers (the .NET Open XML SDK) prefix every element: "<x:row ...>".
    source = zipfile.ZipFile(io.BytesIO(_xlsx([["h"], [1], [2], [3], [4]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = (
                    content.replace(b"<row ", b"<x:row ")
                    .replace(b"</row>", b"</x:row>")
                    .replace(b"<worksheet ", b'<worksheet xmlns:x="%s" ' % _MAIN)
                )
            target.writestr(info.filename, content)
    settings.IMPORT_MAX_ROWS = 4
    assert len(read_rows(buffer.getvalue())[1]) == 4
    settings.IMPORT_MAX_ROWS = 3
    [(row, message)] = _refused(buffer.getvalue())
    assert row == 5
    assert "最多导入 3 行数据" in message


def test_a_long_cell_is_an_error_of_its_row_quoting_a_short_prefix(settings):
    long = "长" * 501
    errors = _refused(
        _xlsx([["姓名", "地址"], ["甲", "短"], ["乙", long], ["丙", "x"]])
    )
    [(row, message)] = errors
    assert row == 3
    assert "第 B 列内容过长（501 个字符，最多 500 个）" in message
    assert "“" + "长" * 20 + "…”" in message
    assert len(message) < 80
    # At the limit exactly, the cell is read.
    assert read_rows(_xlsx([["h"], ["长" * 500]]))[1][0][1] == ("长" * 500,)


def test_a_zip_bomb_is_refused_before_the_sheet_is_parsed():
    # One 20 MB cell of a single letter packs into about 20 KB: the issue's
    # 308 KB file held a 300 MB cell.
    data = _with_cell("A" * (20 * 1024 * 1024))
    assert len(data) < 100 * 1024
    [(row, message)] = _refused(data)
    assert row == 0
    assert "文件解压后过大" in message
    assert "压缩比最多 100 倍" in message


def test_the_unpacked_size_has_a_limit_of_its_own(settings):
    data = _xlsx([["h"], ["x"]])
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    settings.IMPORT_MAX_UNPACKED_BYTES = unpacked - 1
    assert "文件解压后过大" in _refused(data)[0][1]
    settings.IMPORT_MAX_UNPACKED_BYTES = unpacked
    assert read_rows(data)[0] == ["h"]


def test_a_huge_cell_that_packs_modestly_is_found_without_parsing_it():
    # 1.5 MB of mixed text: an ordinary ratio, larger than one read chunk.
    data = _with_cell(_letters(1_500_000))
    [(row, message)] = _refused(data)
    assert row == 0
    assert "文件中有超长的单元格" in message


def test_a_cell_under_the_scan_bound_is_left_to_the_row_check(settings):
    settings.IMPORT_MAX_CELL_CHARS = 20_000
    # Well under the scan's bound (10 bytes a character): read, then refused
    # as a row error by the cell check.
    errors = _refused(_with_cell(_letters(20_001)))
    assert errors[0][0] == 2
    assert "内容过长" in errors[0][1]


def test_a_damaged_zip_is_not_an_excel_file():
    data = bytearray(_xlsx([["h"], ["x" * 3000]]))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    # Flip bytes inside the packed sheet: its CRC no longer matches.
    start = sheet.header_offset + 30 + len(sheet.filename) + 10
    data[start : start + 8] = bytes(b ^ 0xFF for b in data[start : start + 8])
    assert _refused(bytes(data)) == [(0, NOT_XLSX)]


def test_bytes_that_are_no_zip_are_not_an_excel_file():
    assert _refused(b"name,phone\n") == [(0, NOT_XLSX)]


def test_a_zip_without_a_workbook_is_not_an_excel_file():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")
    assert _refused(buffer.getvalue()) == [(0, NOT_XLSX)]


def test_quotes_are_short():
    assert quote("短") == "短"
    assert quote("x" * 20) == "x" * 20
    assert quote("x" * 21) == "x" * 20 + "…"


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_the_longest_text_is_found_whatever_the_chunks(monkeypatch, chunk):
    monkeypatch.setattr(excel, "_CHUNK", chunk)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", b"<a>" + b"x" * 30 + b"</a><b>yy</b>" + b"z" * 12)
    archive = zipfile.ZipFile(buffer)
    # From one "<" to the next: "a>" and the 30 letters.
    assert excel._scan(archive, archive.getinfo("a.xml"))[0] == 32


def test_cells_read_as_text_and_dates():
    import datetime

    from lifecert.registry.excel import cell_date, cell_text

    assert cell_text(13800000001.0) == "13800000001"
    assert cell_text(3100.5) == "3100.5"
    assert cell_text(None) == ""
    day = datetime.date(2020, 1, 2)
    assert cell_date(day) == day
    assert cell_date(datetime.datetime(2020, 1, 2, 9)) == day  # noqa: DTZ001 as openpyxl reads
    assert cell_date("2020/01/02") == cell_date("2020.01.02") == day
    assert cell_date("20200102") == day
    assert cell_date("2 Jan") is None


def _cached(data: bytes, value: str) -> bytes:
    """``data`` as Excel saves it: each formula keeps its result (``<v>``)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info).replace(b"<v />", f"<v>{value}</v>".encode())
            target.writestr(info.filename, content)
    return buffer.getvalue()


def test_a_formula_without_a_result_is_a_row_error_not_an_empty_cell() -> None:
    """Found on the walk: a formula in 社会保障号码 (a file written by a
    program, never opened in Excel) read as (空)."""
    data = _xlsx(
        [
            ["社会保障号码", "月养老金", "备注"],
            ["43060319920301203X", 3100, "ok"],
            ['="4306"&"0319920301203X"', "=B2*1.05", "=1+1"],
        ]
    )
    assert excel.check_zip(data)
    assert _refused(data) == [
        (
            3,
            '社会保障号码：单元格是公式（="4306"&"03199203012…），请填写号码本身；'
            "月养老金：单元格是公式（=B2*1.05），请填写内容本身；"
            "备注：单元格是公式（=1+1），请填写内容本身",
        )
    ]
    # Saved by Excel, a formula keeps its result: that is read.
    _, rows = read_rows(_cached(data, "7"))
    assert rows[1] == (3, (7, 7, 7))
    # A sheet without formulas is read once.
    assert not excel.check_zip(_xlsx([["姓名"], ["张三"]]))


def test_a_formula_split_by_a_chunk_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _xlsx([["社会保障号码"], ["=A1"]])
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    at = sheet.index(b"<f>")
    for cut in (at + 1, at + 2):
        monkeypatch.setattr(excel, "_CHUNK", cut)
        assert excel.check_zip(data)


def test_full_width_codes_and_dates_read_as_typed() -> None:
    assert excel.cell_code(" ４４０１００　") == "440100"
    assert excel.cell_code("３１００．５０") == "3100.50"
    assert excel.cell_text("广州（分公司）") == "广州（分公司）"
    assert str(excel.cell_date("２０２６－０１－０５")) == "2026-01-05"
