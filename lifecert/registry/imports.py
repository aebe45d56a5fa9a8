"""Registry import from Excel: persons, units and entitlements in one sheet.

Nothing is written before staff have seen what a file would do:

1. ``check_rows`` checks each row's shape (numbers, dates, lengths) and reports
   every bad row with its number and reason;
2. ``import_plan.plan_import`` compares the rows with the registry: what each
   row creates, changes (old → new) or leaves alone, and which rows would
   change people who are not the importing staff's to change;
3. ``import_write.confirm_registry`` writes exactly the previewed plan.

Reading the file (limits on size, rows, cells and the zip) is ``excel.py``,
shared with the evidence imports of ``lifecert.certification.imports``.
"""

import datetime
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, cast

from django.utils import timezone

from .excel import ImportRejected, cell_code, cell_date, cell_text, quote, read_rows
from .ids import InvalidNumber, compact, validate_ssn
from .models import Entitlement, Person, Region, Unit

__all__ = [
    "COLUMNS",
    "EXAMPLE_SSN",
    "OPTIONAL_COLUMNS",
    "ImportRejected",
    "cell_date",
    "cell_text",
    "check_rows",
    "quote",
    "read_rows",
    "template_workbook",
]

COLUMNS = [
    "社会保障号码",
    "姓名",
    "联系电话",
    "居住地址",
    "参保地代码",
    "单位编号",
    "单位名称",
    "待遇状态",
    "月养老金",
    "待遇开始日期",
]
# Optional: the last certification in the system before LifeCert (so imported
# pensioners do not all fall due at once), and when a suspended pension stopped
# (so a later certification pays back the right months).
LAST_CERTIFIED = "上次认证日期"
SUSPENDED_SINCE = "暂停发放日期"
OPTIONAL_COLUMNS = [LAST_CERTIFIED, SUSPENDED_SINCE]
# Read as codes (``cell_code``: full width as ASCII, no spaces).
CODE_COLUMNS = {"社会保障号码", "联系电话", "参保地代码", "单位编号", "月养老金"}
STATUS_BY_LABEL = {label: value for value, label in Entitlement.Status.choices}
# The template's example row: an impossible number (born 1900, wrong check
# digit) that no registered person can hold; a file that still has it skips it.
EXAMPLE_SSN = "440106190001010000"
EXAMPLE_NAME = "示例（导入前请删除本行）"
CENT = Decimal("0.01")


def _max_length(model: Any, name: str) -> int:
    length: int = model._meta.get_field(name).max_length
    return length


LENGTHS = {
    "姓名": _max_length(Person, "name"),
    "联系电话": _max_length(Person, "phone"),
    "居住地址": _max_length(Person, "address"),
    "单位编号": _max_length(Unit, "number"),
    "单位名称": _max_length(Unit, "name"),
}


@dataclass
class Row:
    """One checked data row."""

    number: int
    ssn: str
    name: str
    phone: str
    address: str
    region: Region
    unit_number: str
    unit_name: str
    status: str
    amount: Decimal
    start: datetime.date
    last_certified: datetime.date | None = None
    suspended_since: datetime.date | None = None


def check_rows(
    header: list[str],
    rows: list[tuple[int, tuple[Any, ...]]],
    *,
    regions: dict[str, Region],
) -> tuple[list[Row], list[tuple[int, str]], list[tuple[int, str]]]:
    """Validate every row: the good rows, the skipped ones (the template's
    example) and the errors (row, message) of the others, which the plan
    reports together with its own. ImportRejected for a file that has no
    header or no data."""
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise ImportRejected(
            [(1, f"表头缺少列：{'、'.join(missing)}。请使用导入模板。")]
        )
    position = {n: header.index(n) for n in COLUMNS + OPTIONAL_COLUMNS if n in header}
    registered_legacy = set(
        Person.objects.filter(legacy_code=True).values_list("ssn", flat=True)
    )
    unit_regions = dict(Unit.objects.values_list("number", "region__code"))
    today = timezone.localdate()
    errors: list[tuple[int, str]] = []
    skipped: list[tuple[int, str]] = []
    good: list[Row] = []
    seen: dict[tuple[str, str], int] = {}
    identities: dict[str, tuple[int, tuple[str, str, str]]] = {}
    for number, raw in rows:

        def text(name: str, raw: tuple[Any, ...] = raw) -> str:
            i = position.get(name)
            read = cell_code if name in CODE_COLUMNS else cell_text
            return read(raw[i] if i is not None and i < len(raw) else None)

        def date(name: str, raw: tuple[Any, ...] = raw) -> datetime.date | None:
            i = position.get(name)
            return cell_date(raw[i] if i is not None and i < len(raw) else None)

        ssn = compact(text("社会保障号码"))
        if ssn == EXAMPLE_SSN:
            skipped.append((number, "导入模板的示例行，未导入"))
            continue
        problems = []
        try:
            validate_ssn(ssn)
        except InvalidNumber as exc:
            if ssn not in registered_legacy:
                problems.append(f"社会保障号码 {quote(ssn) or '（空）'}：{exc.message}")
        name = text("姓名")
        if not name:
            problems.append("姓名不能为空")
        for column, limit in LENGTHS.items():
            if len(text(column)) > limit:
                problems.append(
                    f"{column}过长（{len(text(column))} 个字符，最多 {limit} 个）："
                    f"“{quote(text(column))}”"
                )
        region_code = text("参保地代码")
        region = regions.get(region_code)
        if region is None:
            problems.append(
                f"参保地代码 {quote(region_code) or '（空）'} 不存在或不在您的管辖范围"
            )
        unit_number, unit_name = text("单位编号"), text("单位名称")
        if unit_number:
            known_region = unit_regions.get(unit_number)
            if known_region and region and known_region != region.code:
                problems.append(
                    f"单位编号 {quote(unit_number)} 属于参保地 {known_region}"
                )
            if not known_region and not unit_name:
                problems.append(f"新单位编号 {quote(unit_number)} 需要填写单位名称")
        status_label = text("待遇状态") or "正常"
        status = STATUS_BY_LABEL.get(status_label)
        if status is None:
            problems.append(
                f"待遇状态“{quote(status_label)}”无效，应为 正常 / 暂停 / 终止"
            )
        try:
            amount = Decimal(text("月养老金"))
            if not Decimal(0) < amount <= Decimal(1000000):
                raise InvalidOperation
            # In cents, as the column keeps it: the preview shows what is written.
            amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
        except InvalidOperation:
            amount = Decimal(0)
            problems.append(f"月养老金“{quote(text('月养老金'))}”不是有效金额")
        start = date("待遇开始日期")
        if start is None:
            problems.append(f"待遇开始日期“{quote(text('待遇开始日期'))}”不是有效日期")
        dates: dict[str, datetime.date | None] = {}
        for column in OPTIONAL_COLUMNS:
            dates[column] = day = date(column)
            if day is None and text(column):
                problems.append(f"{column}“{quote(text(column))}”不是有效日期")
            elif day is not None and day > today:
                problems.append(f"{column} {day} 晚于今天")
            elif day is not None and start is not None and day < start:
                problems.append(f"{column} {day} 早于待遇开始日期 {start}")
        if dates[SUSPENDED_SINCE] and status != Entitlement.Status.SUSPENDED:
            problems.append(f"待遇状态为“暂停”时才填写{SUSPENDED_SINCE}")
        if region is not None and ssn:
            key = (ssn, region.code)
            if key in seen:
                problems.append(f"与第 {seen[key]} 行重复（同一人同一参保地）")
            seen[key] = number
        identity = (name, text("联系电话"), text("居住地址"))
        first = identities.setdefault(ssn, (number, identity))
        if first[1] != identity:
            problems.append(f"姓名、联系电话或居住地址与第 {first[0]} 行（同一人）不同")
        if problems:
            errors.append((number, "；".join(problems)))
            continue
        # Each is a problem above when missing.
        region, status = cast(Region, region), cast(str, status)
        start = cast(datetime.date, start)
        good.append(
            Row(
                number,
                ssn,
                name,
                identity[1],
                identity[2],
                region,
                unit_number,
                unit_name,
                status,
                amount,
                start,
                dates[LAST_CERTIFIED],
                dates[SUSPENDED_SINCE],
            )
        )
    if not good and not errors:
        raise ImportRejected([(2, "文件中没有数据行（模板的示例行不导入）。")])
    return good, skipped, errors


def template_workbook() -> bytes:
    """The import template: the header and one visibly fictional example row."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "参保人员"
    sheet.append(COLUMNS + OPTIONAL_COLUMNS)
    sheet.append(
        [
            EXAMPLE_SSN,
            EXAMPLE_NAME,
            "示例电话",
            "示例地址（本行为示例，导入时跳过）",
            "440100",
            "示例单位编号",
            "示例单位名称",
            "正常",
            1000,
            datetime.date(2015, 1, 1),
            datetime.date(2025, 6, 1),
            None,
        ]
    )
    for column in sheet.iter_cols(min_col=1, max_col=1, min_row=2):
        for c in column:
            c.number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
