"""Registry import from Excel: persons, units and entitlements in one sheet.

The whole file is checked first; every bad row is reported with its row number
and reason, and nothing is written unless every row is good.
"""

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from openpyxl import load_workbook

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction

from .ids import InvalidNumber, birth_date, compact, gender, validate_ssn
from .models import Entitlement, Person, Region, Unit

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
STATUS_BY_LABEL = {label: value for value, label in Entitlement.Status.choices}
MAX_ROWS = 200_000
NOT_XLSX = "文件不是有效的 Excel（.xlsx）文件，请按导入模板另存为 .xlsx 后重新上传。"


class ImportRejected(Exception):
    """The file was refused as a whole; ``errors`` lists (row, message)."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


@dataclass
class ImportResult:
    persons_created: int = 0
    persons_updated: int = 0
    units_created: int = 0
    entitlements_created: int = 0
    entitlements_updated: int = 0
    rows: int = 0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Row:
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


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def cell_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_text(value).replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 a date
        except ValueError:
            continue
    return None


def read_rows(data: bytes) -> tuple[list[str], list[tuple[int, tuple[Any, ...]]]]:
    """Header and numbered data rows of the first sheet; raises ImportRejected."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [cell_text(cell) for cell in next(rows, ())]
        numbered = []
        for index, row in enumerate(rows, start=2):
            if index - 1 > MAX_ROWS:
                raise ImportRejected([(index, f"最多导入 {MAX_ROWS} 行，请分批。")])
            if any(cell_text(cell) for cell in row):
                numbered.append((index, tuple(row)))
        workbook.close()
    except ImportRejected:
        raise
    except Exception as exc:
        # openpyxl raises a zoo of errors on a damaged file; all mean the same here.
        raise ImportRejected([(0, NOT_XLSX)]) from exc
    return header, numbered


def check_rows(
    header: list[str],
    rows: list[tuple[int, tuple[Any, ...]]],
    *,
    regions: dict[str, Region],
) -> list[_Row]:
    """Validate every row; raise ImportRejected with all problems at once."""
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise ImportRejected(
            [(1, f"表头缺少列：{'、'.join(missing)}。请使用导入模板。")]
        )
    position = {name: header.index(name) for name in COLUMNS}
    if not rows:
        raise ImportRejected([(2, "文件中没有数据行。")])
    registered_legacy = set(
        Person.objects.filter(legacy_code=True).values_list("ssn", flat=True)
    )
    errors: list[tuple[int, str]] = []
    good: list[_Row] = []
    seen: dict[tuple[str, str], int] = {}
    unit_regions = dict(Unit.objects.values_list("number", "region__code"))
    for number, raw in rows:

        def cell(name: str, raw: tuple[Any, ...] = raw) -> Any:
            i = position[name]
            return raw[i] if i < len(raw) else None

        problems = []
        ssn = compact(cell_text(cell("社会保障号码")))
        try:
            validate_ssn(ssn)
        except InvalidNumber as exc:
            if ssn not in registered_legacy:
                problems.append(f"社会保障号码 {ssn or '（空）'}：{exc.message}")
        name = cell_text(cell("姓名"))
        if not name:
            problems.append("姓名不能为空")
        region_code = cell_text(cell("参保地代码"))
        region = regions.get(region_code)
        if region is None:
            problems.append(
                f"参保地代码 {region_code or '（空）'} 不存在或不在您的管辖范围"
            )
        unit_number = cell_text(cell("单位编号"))
        unit_name = cell_text(cell("单位名称"))
        if unit_number:
            known_region = unit_regions.get(unit_number)
            if known_region and region and known_region != region.code:
                problems.append(f"单位编号 {unit_number} 属于参保地 {known_region}")
            if not known_region and not unit_name:
                problems.append(f"新单位编号 {unit_number} 需要填写单位名称")
        status_label = cell_text(cell("待遇状态")) or "正常"
        status = STATUS_BY_LABEL.get(status_label)
        if status is None:
            problems.append(f"待遇状态“{status_label}”无效，应为 正常 / 暂停 / 终止")
        try:
            amount = Decimal(cell_text(cell("月养老金")))
            if amount <= 0 or amount > Decimal("1000000"):
                raise InvalidOperation
        except InvalidOperation:
            amount = Decimal(0)
            problems.append(f"月养老金“{cell_text(cell('月养老金'))}”不是有效金额")
        start = cell_date(cell("待遇开始日期"))
        if start is None:
            problems.append(
                f"待遇开始日期“{cell_text(cell('待遇开始日期'))}”不是有效日期"
            )
        if region is not None and ssn:
            key = (ssn, region.code)
            if key in seen:
                problems.append(f"与第 {seen[key]} 行重复（同一人同一参保地）")
            seen[key] = number
        if problems:
            errors.append((number, "；".join(problems)))
        else:
            good.append(
                _Row(
                    number,
                    ssn,
                    name,
                    cell_text(cell("联系电话")),
                    cell_text(cell("居住地址")),
                    region,  # type: ignore[arg-type]  # checked above
                    unit_number,
                    unit_name,
                    status,  # type: ignore[arg-type]  # checked above
                    amount,
                    start,  # type: ignore[arg-type]  # checked above
                )
            )
    if errors:
        raise ImportRejected(errors)
    return good


def import_registry(
    data: bytes, *, acting_user: Any, regions: list[Region], ip: str | None = None
) -> ImportResult:
    """Import a registry workbook, all or nothing, for the given allowed regions."""
    header, raw_rows = read_rows(data)
    rows = check_rows(header, raw_rows, regions={r.code: r for r in regions})
    result = ImportResult(rows=len(rows))
    with transaction.atomic():
        existing_units = {
            u.number: u
            for u in Unit.objects.filter(
                number__in={r.unit_number for r in rows if r.unit_number}
            )
        }
        for row in rows:
            if row.unit_number and row.unit_number not in existing_units:
                existing_units[row.unit_number] = Unit.objects.create(
                    number=row.unit_number, name=row.unit_name, region=row.region
                )
                result.units_created += 1
        persons = {
            p.ssn: p for p in Person.objects.filter(ssn__in={r.ssn for r in rows})
        }
        for row in rows:
            person = persons.get(row.ssn)
            if person is None:
                persons[row.ssn] = Person.objects.create(
                    ssn=row.ssn,
                    name=row.name,
                    phone=row.phone,
                    address=row.address,
                    birth_date=birth_date(row.ssn),
                    gender=gender(row.ssn),
                )
                result.persons_created += 1
            elif (person.name, person.phone, person.address) != (
                row.name,
                row.phone,
                row.address,
            ):
                person.name, person.phone, person.address = (
                    row.name,
                    row.phone,
                    row.address,
                )
                person.save(update_fields=["name", "phone", "address"])
                result.persons_updated += 1
        entitlements = {
            (e.person_id, e.region_id): e
            for e in Entitlement.objects.filter(
                person__in=[persons[r.ssn] for r in rows]
            )
        }
        for row in rows:
            person = persons[row.ssn]
            unit = existing_units.get(row.unit_number) if row.unit_number else None
            values = {
                "unit": unit,
                "status": row.status,
                "monthly_amount": row.amount,
                "start_date": row.start,
            }
            current = entitlements.get((person.pk, row.region.pk))
            if current is None:
                Entitlement.objects.create(person=person, region=row.region, **values)
                result.entitlements_created += 1
                continue
            changed = [f for f, v in values.items() if getattr(current, f) != v]
            if changed:
                before = {f: str(getattr(current, f)) for f in changed}
                for f in changed:
                    setattr(current, f, values[f])
                current.save(update_fields=changed)
                result.entitlements_updated += 1
                if "status" in changed:
                    audit.record(
                        AuditAction.ENTITLEMENT_STATUS,
                        acting_user=acting_user,
                        target=current,
                        ip=ip,
                        before=before,
                        after={"status": row.status, "source": "import"},
                    )
        audit.record(
            AuditAction.REGISTRY_IMPORT,
            acting_user=acting_user,
            ip=ip,
            after={
                "rows": result.rows,
                "persons_created": result.persons_created,
                "persons_updated": result.persons_updated,
                "units_created": result.units_created,
                "entitlements_created": result.entitlements_created,
                "entitlements_updated": result.entitlements_updated,
            },
        )
    return result


def template_workbook() -> bytes:
    """An empty import template with the expected header and one example row."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "参保人员"
    sheet.append(COLUMNS)
    sheet.append(
        [
            "43060319920301203X",
            "杨书维",
            "13800138000",
            "广州市天河区示例路 1 号",
            "440100",
            "4401000001",
            "广州市示例有限公司",
            "正常",
            3200.5,
            datetime.date(2015, 1, 1),
        ]
    )
    for column in sheet.iter_cols(min_col=1, max_col=1, min_row=2):
        for c in column:
            c.number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
