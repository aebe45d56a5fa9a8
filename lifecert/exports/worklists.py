"""Sheets of the back office's working lists: pensions (due within 30 days,
overdue, by status), certifications with their source, and open cases.

These go to staff of a region for calls and letters, not to payroll: ID
numbers are masked as on the pages (the 补发清单 in ``money`` is the one
that carries them whole).
"""

import datetime
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from lifecert.certification.cycle import cycle_months, due_date
from lifecert.certification.models import Certification
from lifecert.core.masking import mask_id
from lifecert.registry.models import Entitlement

from .reports import CHANNEL_LABELS, CHUNK, STATUS_LABELS, chunked
from .xlsx import DATE, DATETIME, NUMBER, Column, LocalTime, Report

CASE_KINDS = {"death": "死亡后认证核查", "review": "人工审核"}


def _stamp(now: datetime.datetime | None) -> str:
    return timezone.localtime(now or timezone.now()).strftime("%Y%m%d%H%M%S")


def entitlement_report(
    entitlements: QuerySet[Entitlement], *, title: str, now: Any = None
) -> Report:
    """One row per pension: who, where, status, last certification, due date."""
    rows = entitlements.values_list(
        "region__name",
        "unit__number",
        "unit__name",
        "person__name",
        "person__ssn",
        "person__phone",
        "monthly_amount",
        "status",
        "status_since",
        "last_certified_at",
        "start_date",
    )

    def generate() -> Iterator[tuple[Any, ...]]:
        clock, months = LocalTime(), cycle_months()
        terminated = Entitlement.Status.TERMINATED.value
        for row in chunked(rows):
            region, number, unit, name, ssn, phone, amount = row[:7]
            status, since, last, start = row[7:]
            last_day = None if last is None else clock.date(last)
            due = None
            if status != terminated:
                due = due_date(last_day, start, months)
            yield (
                region,
                number,
                unit,
                name,
                mask_id(ssn),
                phone,
                float(amount),
                STATUS_LABELS.get(status, status),
                since,
                last,
                due,
            )

    return Report(
        title=title,
        filename=f"{title}_{_stamp(now)}.xlsx",
        columns=[
            Column("参保地", width=10, repeated=True),
            Column("单位编号", width=14),
            Column("单位名称", width=28),
            Column("姓名", width=12),
            Column("社会保障号码", width=22),
            Column("联系电话", width=16),
            Column("月养老金", NUMBER, width=12),
            Column("待遇状态", width=10, repeated=True),
            Column("状态起始日期", DATE, width=14),
            Column("上次认证时间", DATETIME, width=20),
            Column("认证截止日期", DATE, width=14),
        ],
        rows=generate(),
    )


def source_of(channel: str, operator: str, unit: str | None, evidence: Any) -> str:
    """Who or what vouched for a certification: the operator, the unit, or
    for 数据比对 the agency whose records showed the person alive."""
    if channel == "data":
        source = evidence.get("source") if isinstance(evidence, dict) else ""
        return f"数据来源：{source or '未注明'}"
    if unit:
        return f"单位 {unit}" + (f"（{operator}）" if operator else "")
    return operator


def certification_report(
    certifications: QuerySet[Certification], *, now: Any = None
) -> Report:
    """认证记录: when, where, how and on whose word each certification was made."""
    rows = certifications.values_list(
        "certified_at",
        "region__name",
        "person__name",
        "person__ssn",
        "channel",
        "operator_name",
        "unit__number",
        "evidence",
    )

    def generate() -> Iterator[tuple[Any, ...]]:
        for at, region, name, ssn, channel, operator, unit, evidence in chunked(rows):
            yield (
                at,
                region,
                name,
                mask_id(ssn),
                CHANNEL_LABELS.get(channel, channel),
                source_of(channel, operator, unit, evidence),
            )

    return Report(
        title="认证记录",
        filename=f"认证记录_{_stamp(now)}.xlsx",
        columns=[
            Column("认证时间", DATETIME, width=20),
            Column("参保地", width=10, repeated=True),
            Column("姓名", width=12),
            Column("社会保障号码", width=22),
            Column("认证方式", width=12, repeated=True),
            Column("认证方 / 数据来源", width=30),
        ],
        rows=generate(),
    )


def case_detail(
    kind: str, death_date: datetime.date | None, channel: str, reason: str
) -> str:
    """What an open case is about, in one line."""
    if kind == "death":
        label = CHANNEL_LABELS.get(channel, channel)
        return f"死亡日期 {death_date:%Y-%m-%d} 之后有{label}认证"
    return reason


def case_report(cases: QuerySet[Any], *, now: Any = None) -> Report:
    """待办案件: open 死亡后认证核查 and 人工审核 cases (``lists.open_cases`` rows)."""

    def generate() -> Iterator[tuple[Any, ...]]:
        for case in cases.iterator(chunk_size=CHUNK):  # dicts: a union's values
            kind = case["kind"]
            yield (
                CASE_KINDS.get(kind, kind),
                case["created_at"],
                case["region_name"],
                case["person_name"],
                mask_id(case["person_ssn"]),
                case_detail(kind, case["death_date"], case["channel"], case["reason"]),
            )

    return Report(
        title="待办案件",
        filename=f"待办案件_{_stamp(now)}.xlsx",
        columns=[
            Column("类别", width=16, repeated=True),
            Column("登记时间", DATETIME, width=20),
            Column("参保地", width=10, repeated=True),
            Column("姓名", width=12),
            Column("社会保障号码", width=22),
            Column("情况", width=40),
        ],
        rows=generate(),
    )
