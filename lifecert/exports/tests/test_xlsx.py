import datetime
import io

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from lifecert.exports.xlsx import (
    DATE,
    DATETIME,
    NUMBER,
    Column,
    Report,
    write_report,
    write_report_to_tempfile,
)

COLUMNS = [
    Column("姓名"),
    Column("证件号码"),
    Column("认证时间", DATETIME),
    Column("开始日期", DATE),
    Column("金额", NUMBER),
]


def reopen(report):
    buffer = io.BytesIO()
    count = write_report(report, buffer)
    buffer.seek(0)
    return count, load_workbook(buffer).active


def test_header_rows_types_and_frozen_header(settings):
    at = datetime.datetime(2020, 2, 4, 0, 52, 43, tzinfo=datetime.UTC)
    rows = [("杨书维", "43060319920301203X", at, datetime.date(2015, 1, 1), 3200)]
    count, sheet = reopen(Report("认证", "a.xlsx", COLUMNS, rows))
    assert count == 1
    assert [c.value for c in sheet[1]] == [
        "姓名",
        "证件号码",
        "认证时间",
        "开始日期",
        "金额",
    ]
    assert sheet.max_row == 2
    name, ssn, when, day, amount = sheet[2]
    assert (name.value, ssn.value) == ("杨书维", "43060319920301203X")
    assert ssn.data_type == "s"
    assert ssn.number_format == "@"
    # local time (Asia/Shanghai), stored as a real date-time cell
    assert when.value == datetime.datetime(2020, 2, 4, 8, 52, 43)  # noqa: DTZ001 Excel has no zones
    assert when.is_date
    assert day.value == datetime.datetime(2015, 1, 1)  # noqa: DTZ001
    assert day.is_date
    assert amount.value == 3200
    assert sheet.freeze_panes == "A2"


def test_ids_that_look_like_numbers_stay_text():
    _, sheet = reopen(Report("t", "t.xlsx", COLUMNS[:2], [("a", "440106195505150011")]))
    assert sheet["B2"].value == "440106195505150011"
    assert sheet["B2"].data_type == "s"


def test_formula_triggers_are_written_as_text():
    evil = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"]
    rows = [(value, value) for value in evil]
    count, sheet = reopen(Report("t", "t.xlsx", COLUMNS[:2], rows))
    assert count == len(evil)
    for index, value in enumerate(evil, start=2):
        for cell in sheet[index]:
            assert cell.value == value
            assert cell.data_type == "s"
            assert cell.quotePrefix


def test_no_formula_element_in_the_file():
    import zipfile

    buffer = io.BytesIO()
    write_report(Report("t", "t.xlsx", COLUMNS[:1], [("=1+1",)]), buffer)
    with zipfile.ZipFile(buffer) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    assert "<f " not in sheet_xml


def test_empty_values_and_tempfile():
    handle, count = write_report_to_tempfile(
        Report("t", "t.xlsx", COLUMNS, [("x", None, None, None, None)])
    )
    with handle:
        sheet = load_workbook(handle).active
    assert count == 1
    assert sheet.max_row == 2
    assert [c.value for c in sheet[2]] == ["x", None, None, None, None]


def test_rows_are_consumed_lazily():
    consumed = []

    def rows():
        for index in range(3000):
            consumed.append(index)
            yield (f"n{index}", str(index))

    count, sheet = reopen(Report("t", "t.xlsx", COLUMNS[:2], rows()))
    assert count == 3000
    assert sheet.max_row == 3001


def test_local_time_follows_the_zone_across_a_dst_change():
    import zoneinfo

    from lifecert.exports.xlsx import LocalTime

    zone = zoneinfo.ZoneInfo("America/New_York")
    clock = LocalTime(zone)
    # 2026-03-08 07:00 UTC is the switch to daylight time in New York.
    for minutes in range(-180, 181, 7):
        at = datetime.datetime(2026, 3, 8, 7, 0, 17, tzinfo=datetime.UTC)
        at += datetime.timedelta(minutes=minutes)
        local = at.astimezone(zone).replace(tzinfo=None)
        expected = (local - datetime.datetime(1899, 12, 30)).total_seconds() / 86400  # noqa: DTZ001
        assert abs(clock.serial(at) - expected) < 1e-9
        assert clock.date(at) == local.date()
        utc_serial = (at.replace(tzinfo=None) - datetime.datetime(1899, 12, 30)) / (  # noqa: DTZ001
            datetime.timedelta(days=1)
        )
        assert abs(clock.local_serial(utc_serial) - expected) < 1e-9


def test_text_with_edge_spaces_and_markup_reads_back_unchanged():
    values = ["  两端空格  ", "a & b <c>", "\t制表", "全角\u3000"]
    _, sheet = reopen(Report("t", "t.xlsx", COLUMNS[:1], [(v,) for v in values]))
    assert [sheet.cell(row=i, column=1).value for i in range(2, 6)] == values


def test_a_row_of_the_wrong_width_is_refused():
    import pytest

    with pytest.raises(ValueError, match="a row of 3 values"):
        write_report(
            Report("t", "t.xlsx", COLUMNS[:2], [("a", "b", "c")]), io.BytesIO()
        )


def test_a_failing_target_is_reported_not_swallowed():
    import pytest

    class Full(io.BytesIO):
        def write(self, data):
            if len(data) > 10_000:
                raise OSError("磁盘已满")
            return super().write(data)

    rows = [(f"n{index}" * 20, str(index)) for index in range(20_000)]
    with pytest.raises(OSError, match="磁盘已满"):
        write_report(Report("t", "t.xlsx", COLUMNS[:2], rows), Full())


def test_one_special_value_in_a_chunk_of_plain_text_reads_back():
    values = [f"杨{index}" for index in range(2500)]
    values[7], values[1500], values[2100] = "a & <b>", "=1+1", " 空格 "
    rows = [
        (value, None if index == 3 else value) for index, value in enumerate(values)
    ]
    _, sheet = reopen(Report("t", "t.xlsx", COLUMNS[:2], rows))
    read = [(a.value, b.value) for a, b in sheet.iter_rows(min_row=2, max_col=2)]
    assert [a for a, _ in read] == values
    assert [b for _, b in read] == [None if i == 3 else v for i, v in enumerate(values)]
    assert sheet["A1502"].quotePrefix


@given(
    st.lists(st.text(max_size=6) | st.none() | st.integers(), min_size=1, max_size=8)
)
def test_a_chunk_found_plain_is_written_as_each_cell_would_be(values):
    """The chunk test may only skip ``_text_body`` where it would merely wrap."""
    from lifecert.exports.xlsx import _TEXT_CLOSE, _TEXT_OPEN, _plain_texts, _text_body

    chunk = tuple(values)
    if _plain_texts(chunk):
        wrapped = [_TEXT_OPEN + value + _TEXT_CLOSE for value in chunk]
        assert wrapped == [_text_body(value) for value in chunk]
