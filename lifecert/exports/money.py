"""Sheets of the cycle's money: who a suspension run stops or stopped, the
back-pay list for payroll (补发清单) and the overpayments to recover.

Payroll works by the full social security number, so these sheets carry it;
the pages mask it.
"""

import datetime
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from lifecert.certification.models import BackPay, Overpayment
from lifecert.registry.models import Entitlement

from .reports import CHANNEL_LABELS, CHUNK, STATUS_LABELS
from .xlsx import DATE, DATETIME, NUMBER, Column, Report


def _stamp(now: datetime.datetime | None) -> str:
    return timezone.localtime(now or timezone.now()).strftime("%Y%m%d%H%M%S")


def _money(value: Any) -> float:
    return float(value)


def suspension_report(
    entitlements: QuerySet[Entitlement], *, title: str, now: Any = None
) -> Report:
    """暂停名单: a preview or a past run, one row per entitlement."""
    rows = entitlements.order_by("region__code", "unit__number", "pk").values_list(
        "region__name",
        "unit__number",
        "unit__name",
        "person__name",
        "person__ssn",
        "monthly_amount",
        "start_date",
        "last_certified_at",
        "status",
    )

    def generate() -> Iterator[tuple[Any, ...]]:
        for row in rows.iterator(chunk_size=CHUNK):
            *head, amount, start, last, status = row
            yield (*head, _money(amount), start, last, STATUS_LABELS[status])

    return Report(
        title=title,
        filename=f"{title}_{_stamp(now)}.xlsx",
        columns=[
            Column("参保地", width=10, repeated=True),
            Column("单位编号", width=14),
            Column("单位名称", width=28),
            Column("姓名", width=12),
            Column("社会保障号码", width=22),
            Column("月养老金", NUMBER, width=12),
            Column("待遇开始日期", DATE, width=14),
            Column("上次认证时间", DATETIME, width=20),
            Column("当前状态", width=10, repeated=True),
        ],
        rows=generate(),
    )


def back_pay_report(back_pays: QuerySet[BackPay], *, now: Any = None) -> Report:
    """补发清单 for payroll."""
    rows = back_pays.order_by("created_at", "pk").values_list(
        "entitlement__region__name",
        "entitlement__unit__number",
        "entitlement__person__name",
        "entitlement__person__ssn",
        "suspended_since",
        "created_at",
        "months",
        "entitlement__monthly_amount",
        "amount",
        "certification__channel",
    )

    def generate() -> Iterator[tuple[Any, ...]]:
        for row in rows.iterator(chunk_size=CHUNK):
            *head, since, resumed, months, monthly, amount, channel = row
            yield (
                *head,
                since,
                resumed,
                months,
                _money(monthly),
                _money(amount),
                CHANNEL_LABELS.get(channel, channel),
            )

    return Report(
        title="补发清单",
        filename=f"补发清单_{_stamp(now)}.xlsx",
        columns=[
            Column("参保地", width=10, repeated=True),
            Column("单位编号", width=14),
            Column("姓名", width=12),
            Column("社会保障号码", width=22),
            Column("暂停日期", DATE, width=12),
            Column("恢复时间", DATETIME, width=20),
            Column("补发月数", NUMBER, width=10),
            Column("月养老金", NUMBER, width=12),
            Column("补发金额", NUMBER, width=12),
            Column("恢复认证方式", width=12, repeated=True),
        ],
        rows=generate(),
    )


def overpayment_report(
    overpayments: QuerySet[Overpayment], *, now: Any = None
) -> Report:
    """待追回清单: overpayments with the responsible party and their status."""
    labels = dict(Overpayment.Status.choices)
    rows = overpayments.order_by("created_at", "pk").values_list(
        "entitlement__region__name",
        "entitlement__person__name",
        "entitlement__person__ssn",
        "death_date",
        "months",
        "amount",
        "responsible",
        "status",
        "status_by__username",
        "status_at",
        "created_at",
    )

    def generate() -> Iterator[tuple[Any, ...]]:
        for row in rows.iterator(chunk_size=CHUNK):
            region, name, ssn, died, months, amount, party, status, by, at, made = row
            yield (
                region,
                name,
                ssn,
                died,
                months,
                _money(amount),
                party,
                labels.get(status, status),
                by or "",
                at,
                made,
            )

    return Report(
        title="待追回清单",
        filename=f"待追回清单_{_stamp(now)}.xlsx",
        columns=[
            Column("参保地", width=10, repeated=True),
            Column("姓名", width=12),
            Column("社会保障号码", width=22),
            Column("死亡日期", DATE, width=12),
            Column("多发月数", NUMBER, width=10),
            Column("金额", NUMBER, width=12),
            Column("责任方", width=40),
            Column("追回状态", width=10, repeated=True),
            Column("变更人", width=14),
            Column("变更时间", DATETIME, width=20),
            Column("登记时间", DATETIME, width=20),
        ],
        rows=generate(),
    )
