"""Imports of evidence from other agencies: death records and data comparison.

Both follow the registry import's rule: the whole file is checked first, every
bad row is reported with its number and reason, and nothing is written unless
every row is good.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.ids import compact
from lifecert.registry.imports import (
    ImportRejected,
    cell_date,
    cell_text,
    quote,
    read_rows,
)
from lifecert.registry.models import Entitlement, Region

from .models import Channel, DeathAfterCertificationCase
from .services import record_certification, record_death

DEATH_COLUMNS = ["社会保障号码", "姓名", "死亡日期"]
COMPARISON_COLUMNS = ["社会保障号码", "姓名", "比对日期", "数据来源"]


@dataclass
class EvidenceResult:
    rows: int
    changed: int
    skipped: int
    # Deaths only: overpayments recorded, and certifications found dated after
    # the death (each a case for staff).
    overpaid: int = 0
    cases: int = 0


_CheckedRow = tuple[int, list[Entitlement], datetime.date, dict[str, str]]


def _check(
    data: bytes, columns: list[str], date_column: str, regions: list[Region]
) -> list[_CheckedRow]:
    header, rows = read_rows(data)
    missing = [c for c in columns if c not in header]
    if missing:
        raise ImportRejected([(1, f"表头缺少列：{'、'.join(missing)}。")])
    if not rows:
        raise ImportRejected([(2, "文件中没有数据行。")])
    position = {c: header.index(c) for c in columns}
    numbers = {compact(cell_text(r[position["社会保障号码"]])) for _, r in rows}
    entitlements: dict[str, list[Entitlement]] = {}
    for e in Entitlement.objects.filter(
        person__ssn__in=numbers, region__in=regions
    ).select_related("person", "region"):
        entitlements.setdefault(e.person.ssn, []).append(e)
    today = timezone.localdate()
    errors: list[tuple[int, str]] = []
    good: list[_CheckedRow] = []
    for number, raw in rows:
        values = {
            c: raw[position[c]] if position[c] < len(raw) else None for c in columns
        }
        ssn = compact(cell_text(values["社会保障号码"]))
        name = cell_text(values["姓名"])
        found = entitlements.get(ssn)
        problems = []
        if not found:
            problems.append(
                f"社会保障号码 {quote(ssn) or '（空）'} 在您管辖的参保地没有养老待遇"
            )
        elif found[0].person.name != name:
            problems.append(f"姓名“{quote(name)}”与登记的姓名不一致")
        day = cell_date(values[date_column])
        if day is None:
            problems.append(
                f"{date_column}“{quote(cell_text(values[date_column]))}”不是有效日期"
            )
        elif day > today:
            problems.append(f"{date_column} {day} 晚于今天")
        if problems:
            errors.append((number, "；".join(problems)))
        else:
            assert day is not None  # noqa: S101 a missing date is one of the problems
            extra = {c: cell_text(values[c]) for c in columns if c not in DEATH_COLUMNS}
            good.append((number, found or [], day, extra))
    if errors:
        raise ImportRejected(errors)
    return good


def import_deaths(
    data: bytes, *, acting_user: Any, regions: list[Region], ip: str | None = None
) -> EvidenceResult:
    """Terminate the pensions of the deceased; record overpayments to recover."""
    rows = _check(data, DEATH_COLUMNS, "死亡日期", regions)
    changed = skipped = overpaid = 0
    with transaction.atomic():
        cases_before = DeathAfterCertificationCase.objects.count()
        for _, found, day, _ in rows:
            for entitlement in found:
                if entitlement.status == Entitlement.Status.TERMINATED:
                    skipped += 1
                    continue
                if record_death(
                    entitlement=entitlement,
                    death_date=day,
                    acting_user=acting_user,
                    ip=ip,
                ):
                    overpaid += 1
                changed += 1
        cases = DeathAfterCertificationCase.objects.count() - cases_before
        audit.record(
            AuditAction.IMPORT_DEATHS,
            acting_user=acting_user,
            ip=ip,
            after={
                "rows": len(rows),
                "terminated": changed,
                "skipped": skipped,
                "overpaid": overpaid,
                "cases": cases,
            },
        )
    return EvidenceResult(len(rows), changed, skipped, overpaid, cases)


def import_comparison(
    data: bytes, *, acting_user: Any, regions: list[Region], ip: str | None = None
) -> EvidenceResult:
    """数据比对: evidence of life from other records becomes a silent certification."""
    rows = _check(data, COMPARISON_COLUMNS, "比对日期", regions)
    changed = skipped = 0
    with transaction.atomic():
        for _, found, day, extra in rows:
            at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
            for entitlement in found:
                last = entitlement.last_certified_at
                if entitlement.status == Entitlement.Status.TERMINATED or (
                    last is not None and last >= at
                ):
                    skipped += 1
                    continue
                record_certification(
                    entitlement=entitlement,
                    channel=Channel.DATA,
                    acting_user=acting_user,
                    at=at,
                    evidence={"source": extra.get("数据来源", "")},
                    operator_name="数据比对",
                    ip=ip,
                )
                changed += 1
        audit.record(
            AuditAction.IMPORT_COMPARISON,
            acting_user=acting_user,
            ip=ip,
            after={"rows": len(rows), "certified": changed, "skipped": skipped},
        )
    return EvidenceResult(len(rows), changed, skipped)
