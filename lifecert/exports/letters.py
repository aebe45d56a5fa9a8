"""提醒名单 for letters (认证到期提醒函): who falls due soon, where to write to,
by when, and whether the SMS reached them. A letter needs no ID number, so the
sheet masks it."""

import datetime
from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from lifecert.certification import cycle
from lifecert.core.masking import mask_id
from lifecert.registry.models import Entitlement
from lifecert.reminders.services import reminder_label, reminders_of

from .reports import CHUNK
from .xlsx import DATE, NUMBER, Column, Report


def reminder_letters_report(
    entitlements: QuerySet[Entitlement],
    *,
    scope: str,
    today: datetime.date | None = None,
    now: Any = None,
) -> Report:
    """One row per pensioner of ``entitlements`` (already the due-soon set)."""
    today = today or timezone.localdate()
    months = cycle.cycle_months()
    rows = entitlements.order_by("region__code", "unit__number", "pk").values_list(
        "pk",
        "person__name",
        "person__ssn",
        "person__phone",
        "person__address",
        "region__name",
        "region__office_name",
        "region__office_address",
        "region__office_phone",
        "unit__name",
        "last_certified_at",
        "start_date",
    )

    def generate() -> Iterator[tuple[Any, ...]]:
        stream = rows.iterator(chunk_size=CHUNK)
        while chunk := list(islice(stream, CHUNK)):
            sent = reminders_of([row[0] for row in chunk])
            for (
                pk,
                name,
                ssn,
                phone,
                address,
                region,
                office,
                where,
                tel,
                unit,
                last,
                start,
            ) in chunk:
                base = None if last is None else timezone.localdate(last)
                due = cycle.due_date(base, start, months)
                status = sent.get((pk, due))
                yield (
                    name,
                    mask_id(ssn),
                    phone or "-",
                    address or "-",
                    region,
                    unit or "-",
                    due,
                    (due - today).days,
                    reminder_label(status),
                    f"{office} {where}".strip() or "-",
                    tel or "12333",
                )

    stamp = timezone.localtime(now or timezone.now()).strftime("%Y%m%d%H%M%S")
    return Report(
        title="认证到期提醒名单",
        filename=f"认证到期提醒名单_{scope}_{stamp}.xlsx",
        columns=[
            Column("姓名", width=12),
            Column("证件号码", width=22),
            Column("联系电话", width=16),
            Column("居住地址", width=36),
            Column("参保地", width=10, repeated=True),
            Column("单位", width=24, repeated=True),
            Column("认证截止日期", DATE, width=16),
            Column("剩余天数", NUMBER, width=10),
            Column("提醒短信", width=12, repeated=True),
            Column("办理地点", width=40, repeated=True),
            Column("咨询电话", width=14, repeated=True),
        ],
        rows=generate(),
    )
