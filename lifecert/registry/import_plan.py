"""What a registry import would do, shown before it is done, then done exactly.

``preview_registry`` checks a file and compares it with the registry without
writing: each row creates (a new pension), changes (field: old → new) or
leaves alone. ``import_write.confirm_registry`` does the same again under row
locks and writes only if the plan is the one staff saw (its ``fingerprint``);
otherwise it raises ``PlanChanged`` with the new plan to show.

Whose people staff may change: regional staff import into their own region.
A person who also holds a pension in another region (any status) is not
theirs alone: a row that would change such a person's name, phone or address
is an error, and so is a row that would give such a person a new pension in
the staff's region (it would open the person's page, records and reference
photo to them). Province staff may do both. An empty phone or address cell
leaves the registered value as it is.

上次认证日期 records a certification (channel 历史数据迁移) when it is later
than the one the registry holds, so the cycle (``certification.cycle``) runs
from it. 暂停发放日期 is the suspension date a suspended pension keeps in
``status_since`` (reason 逾期未认证), from which a later certification
counts the months to pay back; a row that newly suspends a pension must give it.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from lifecert.certification.services import OVERDUE_REASON
from lifecert.core.masking import mask_id

from .excel import ImportRejected, read_rows
from .imports import Row, check_rows
from .models import Entitlement, Person, Region, Unit

IMPORT_REASON = "导入变更"
KINDS = {"create": "新增", "change": "修改", "same": "不变"}
PERSON_FIELDS = {"name": "姓名", "phone": "联系电话", "address": "居住地址"}


@dataclass
class PlannedRow:
    row: Row
    person: Person | None
    entitlement: Entitlement | None
    kind: str = "same"
    person_changes: dict[str, str] = field(default_factory=dict)
    entitlement_changes: dict[str, Any] = field(default_factory=dict)
    certify_on: datetime.date | None = None
    # (label, old, new), in the words of the preview.
    shown: list[tuple[str, str, str]] = field(default_factory=list)

    def display(self) -> dict[str, Any]:
        return {
            "number": self.row.number,
            "ssn": mask_id(self.row.ssn),
            "name": self.row.name,
            "region": self.row.region.name,
            "kind": self.kind,
            "kind_label": KINDS[self.kind],
            "new_person": self.person is None,
            "changes": self.shown,
        }


@dataclass
class Plan:
    rows: list[PlannedRow]
    skipped: list[tuple[int, str]]
    new_units: dict[str, Row]

    def counts(self) -> dict[str, int]:
        kinds = [r.kind for r in self.rows]
        return {
            "rows": len(self.rows),
            "create": kinds.count("create"),
            "change": kinds.count("change"),
            "same": kinds.count("same"),
            "persons_created": len({r.row.ssn for r in self.rows if r.person is None}),
            "units_created": len(self.new_units),
            "certifications": sum(r.certify_on is not None for r in self.rows),
            "skipped": len(self.skipped),
        }

    def display(self) -> list[dict[str, Any]]:
        return [r.display() for r in self.rows]

    @property
    def fingerprint(self) -> str:
        """What the preview showed, old values included: equal plans, equal prints."""
        content = [
            self.display(),
            self.skipped,
            sorted((n, r.region.code) for n, r in self.new_units.items()),
        ]
        text = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


class PlanChanged(Exception):
    """The registry changed between the preview and the confirmation."""

    def __init__(self, plan: Plan) -> None:
        super().__init__("the plan changed")
        self.plan = plan


def show_day(value: datetime.date | None) -> str:
    return value.isoformat() if value else "（无）"


def _local_day(value: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(value) if value else None


def _show_unit(unit: Unit | None) -> str:
    return unit.number if unit else ""


def _show_status(status: str) -> str:
    return str(Entitlement.Status(status).label)


# The entitlement's fields a row sets, with their label and how the preview
# shows a value; ``unit`` is compared by its number (a new unit has no row yet).
SHOWN: dict[str, tuple[str, Any]] = {
    "unit": ("单位编号", lambda number: number),
    "status": ("待遇状态", _show_status),
    "monthly_amount": ("月养老金", str),
    "start_date": ("待遇开始日期", show_day),
    "status_since": ("暂停发放日期", show_day),
}


def _plan_entitlement(
    planned: PlannedRow, today: datetime.date, *, new_unit: bool
) -> str:
    """The entitlement's changes; a message if the row lacks what they need."""
    row, current = planned.row, planned.entitlement
    since: datetime.date | None = row.suspended_since
    if row.status != Entitlement.Status.SUSPENDED:
        since = None if current is None else today
    values: dict[str, Any] = {
        "unit": row.unit_number,
        "status": row.status,
        "monthly_amount": row.amount,
        "start_date": row.start,
    }
    if current is None:
        planned.kind = "create"
        values["status_since"] = since
        values["status_reason"] = _reason(row.status)
        planned.entitlement_changes = values
        old: dict[str, Any] = {}
    else:
        if (
            row.status == current.status == Entitlement.Status.SUSPENDED
            and since is None
        ):
            since = current.status_since  # still suspended since then
        if current.status != row.status or (
            row.status == Entitlement.Status.SUSPENDED and current.status_since != since
        ):
            values["status_since"] = since
            values["status_reason"] = _reason(row.status)
        old = {f: getattr(current, f) for f in values if f != "unit"}
        old["unit"] = _show_unit(current.unit)
        planned.entitlement_changes = {f: v for f, v in values.items() if old[f] != v}
    if row.status == Entitlement.Status.SUSPENDED and since is None:
        return "待遇状态为“暂停”时请填写暂停发放日期（恢复时据此计算补发月数）"
    for name, (label, show) in SHOWN.items():
        if name not in planned.entitlement_changes:
            continue
        value = planned.entitlement_changes[name]
        if value is None and current is None:
            continue
        shown_new = show(value)
        if name == "unit" and new_unit:
            shown_new += "（新单位）"
        planned.shown.append((label, show(old[name]) if name in old else "", shown_new))
    return ""


def _reason(status: str) -> str:
    if status == Entitlement.Status.SUSPENDED:
        return OVERDUE_REASON
    return "" if status == Entitlement.Status.NORMAL else IMPORT_REASON


def plan_import(
    rows: list[Row],
    *,
    regions: list[Region],
    lock: bool = False,
    errors: list[tuple[int, str]] | None = None,
) -> Plan:
    """Compare checked rows with the registry; ImportRejected for rows that
    would change what the staff's ``regions`` do not cover."""
    allowed = {r.pk for r in regions}
    numbers = {r.unit_number for r in rows if r.unit_number}
    units = {u.number: u for u in Unit.objects.filter(number__in=numbers)}
    persons_qs = Person.objects.filter(ssn__in={r.ssn for r in rows})
    entitlements_qs = Entitlement.objects.filter(person__in=persons_qs).select_related(
        "unit"
    )
    if lock:
        persons_qs = persons_qs.select_for_update()
        entitlements_qs = entitlements_qs.select_for_update(of=("self",))
    persons = {p.ssn: p for p in persons_qs}
    held: dict[int, list[Entitlement]] = {}
    for e in entitlements_qs.order_by("pk"):
        held.setdefault(e.person_id, []).append(e)
    today = timezone.localdate()
    new_units: dict[str, Row] = {}
    planned_rows: list[PlannedRow] = []
    errors = list(errors or [])
    for row in rows:
        person = persons.get(row.ssn)
        mine = held.get(person.pk, []) if person else []
        current = next((e for e in mine if e.region_id == row.region.pk), None)
        planned = PlannedRow(row, person, current)
        problems = _plan_person(
            planned, elsewhere=any(e.region_id not in allowed for e in mine)
        )
        if problems:
            errors.append((row.number, problems))
            continue
        new_unit = bool(row.unit_number) and row.unit_number not in units
        if new_unit:
            new_units.setdefault(row.unit_number, row)
        problem = _plan_entitlement(planned, today, new_unit=new_unit)
        if problem:
            errors.append((row.number, problem))
            continue
        old = _local_day(current.last_certified_at) if current else None
        if row.last_certified and (old is None or row.last_certified > old):
            death = person.death_date if person else None
            if death is not None and row.last_certified > death:
                errors.append(
                    (row.number, f"上次认证日期晚于登记的死亡日期 {death}，请核对")
                )
                continue
            planned.certify_on = row.last_certified
            planned.shown.append(
                (
                    "上次认证日期",
                    show_day(old) if current else "",
                    show_day(row.last_certified),
                )
            )
        if planned.kind != "create" and planned.shown:
            planned.kind = "change"
        planned_rows.append(planned)
    if errors:
        raise ImportRejected(sorted(errors))
    return Plan(planned_rows, [], new_units)


def _plan_person(planned: PlannedRow, *, elsewhere: bool) -> str:
    """The person's changes; a message if the row may not make them."""
    row, person = planned.row, planned.person
    if person is None:
        planned.shown.extend(
            (PERSON_FIELDS[f], "", v)
            for f, v in (
                ("name", row.name),
                ("phone", row.phone),
                ("address", row.address),
            )
            if v
        )
        return ""
    wanted = {"name": row.name, "phone": row.phone, "address": row.address}
    changes = {f: v for f, v in wanted.items() if v and v != getattr(person, f)}
    if elsewhere and changes:
        labels = "、".join(PERSON_FIELDS[f] for f in changes)
        return (
            f"该参保人在其他参保地也有养老待遇，{labels}与登记的不一致：跨参保地"
            "人员的姓名、联系电话和居住地址只能由省级经办人员修改。请按登记信息"
            "填写（联系电话、居住地址可留空），或联系省级经办人员。"
        )
    if elsewhere and planned.entitlement is None:
        return (
            "该参保人已在其他参保地领取养老待遇，不能由本参保地导入新增待遇"
            "（新增后本参保地即可修改其资料和建模照片）。确需在本参保地发放的，"
            "请联系省级经办人员导入。"
        )
    planned.person_changes = changes
    for f, v in changes.items():
        planned.shown.append((PERSON_FIELDS[f], getattr(person, f), v))
    return ""


def preview_registry(data: bytes, *, regions: list[Region]) -> Plan:
    """Check ``data`` and say what importing it would do; writes nothing."""
    header, raw_rows = read_rows(data)
    rows, skipped, errors = check_rows(
        header, raw_rows, regions={r.code: r for r in regions}
    )
    plan = plan_import(rows, regions=regions, errors=errors)
    plan.skipped = skipped
    return plan
