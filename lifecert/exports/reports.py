"""Report definitions: pure functions from a queryset to a ``Report``.

Each reads only the columns it prints (``values_list``), a chunk at a time
from a server-side cursor on PostgreSQL, so a 50,000-row export holds one
chunk at a time.
"""

import datetime
from collections.abc import Iterator
from typing import Any

from django.db import NotSupportedError
from django.db.models import (
    DateField,
    DateTimeField,
    FloatField,
    Func,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from lifecert.certification.cycle import cycle_months, due_date
from lifecert.certification.models import Certification, Channel
from lifecert.registry.models import Entitlement

from .xlsx import DATE, DATETIME, Column, LocalTime, Report, serial_day

CHUNK = 2000
STATUS_LABELS = dict(Entitlement.Status.choices)
CHANNEL_LABELS = dict(Channel.choices)


def chunked(rows: QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of a ``values_list`` queryset, ``CHUNK`` at a time (``iterator``:
    a server-side cursor on PostgreSQL)."""
    return rows.iterator(chunk_size=CHUNK)


class ExcelSerial(Func):
    """A date or datetime column as an Excel serial number, computed by the database.

    Days since 1899-12-30 as a float: of the UTC instant for a datetime
    (``LocalTime.local_serial`` moves it to local time), of the day for a
    date. SQLite and PostgreSQL compute it in C while reading the row, where
    Python would parse and convert every value.
    """

    output_field = FloatField()

    def _date_only(self) -> bool:
        field = self.get_source_expressions()[0].output_field
        return isinstance(field, DateField) and not isinstance(field, DateTimeField)

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra: Any,
    ) -> tuple[str, Any]:
        if template is None:
            raise NotSupportedError(f"ExcelSerial: no SQL for {connection.vendor}")
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, Any]:
        template = "(julianday(%(expressions)s) - 2415018.5)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, Any]:
        template = (
            "(%(expressions)s - DATE '1899-12-30')::float8"
            if self._date_only()
            else "(EXTRACT(EPOCH FROM %(expressions)s) / 86400 + 25569)::float8"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


def _stamp(now: datetime.datetime | None) -> str:
    return timezone.localtime(now or timezone.now()).strftime("%Y%m%d%H%M%S")


def pending_list_report(
    entitlements: QuerySet[Entitlement], *, unit_number: str, now: Any = None
) -> Report:
    """养老金资格认证数据: the bulk-certification list, columns as on the page."""
    rows = entitlements.annotate(last=ExcelSerial("last_certified_at")).values_list(
        "person__name", "person__ssn", "person__phone", "person__address", "last"
    )

    def generate() -> Iterator[tuple[Any, ...]]:
        local_serial = LocalTime().local_serial
        for name, ssn, phone, address, last in chunked(rows):
            yield (
                name,
                ssn,
                phone,
                address or "-",
                None if last is None else local_serial(last),
                "通过" if last is not None else "未认证",
            )

    return Report(
        title="养老金资格认证数据",
        filename=f"养老金资格认证数据_{unit_number}_{_stamp(now)}.xlsx",
        columns=[
            Column("姓名", width=12),
            Column("证件号码", width=22),
            Column("联系电话", width=16),
            Column("居住地址", width=36),
            Column("上次认证时间", DATETIME, width=20),
            Column("审核结果", width=10, repeated=True),
        ],
        rows=generate(),
    )


def last_channel() -> Subquery:
    """The channel of an entitlement's latest certification (uses cert_ent_time)."""
    latest = Certification.objects.filter(entitlement=OuterRef("pk")).order_by(
        "-certified_at"
    )
    return Subquery(latest.values("channel")[:1])


def roster_report(
    entitlements: QuerySet[Entitlement], *, unit_number: str, now: Any = None
) -> Report:
    """退休人员花名册: every pensioner of the unit with status and next due date."""
    rows = entitlements.annotate(
        channel=last_channel(),
        last=ExcelSerial("last_certified_at"),
        start=ExcelSerial("start_date"),
    ).values_list(
        "person__name",
        "person__ssn",
        "person__phone",
        "status",
        "last",
        "channel",
        "start",
    )

    def generate() -> Iterator[tuple[Any, ...]]:
        local_serial = LocalTime().local_serial
        months = cycle_months()
        terminated = Entitlement.Status.TERMINATED.value
        status_label, channel_label = STATUS_LABELS.get, CHANNEL_LABELS.get
        dues: dict[int, datetime.date] = {}  # day of the cycle's base → due date
        for name, ssn, phone, status, last, channel, start in chunked(rows):
            if last is not None:
                last = local_serial(last)
            due = None
            if status != terminated:
                base = int(start if last is None else last)
                due = dues.get(base)
                if due is None:
                    day = serial_day(base)  # only the base counts, whichever it is
                    due = dues[base] = due_date(
                        None if last is None else day, day, months
                    )
            yield (
                name,
                ssn,
                phone,
                status_label(status, status),
                last,
                channel_label(channel, "") if channel else "",
                due,
            )

    return Report(
        title="退休人员花名册",
        filename=f"退休人员花名册_{unit_number}_{_stamp(now)}.xlsx",
        columns=[
            Column("姓名", width=12),
            Column("证件号码", width=22),
            Column("联系电话", width=16),
            Column("待遇状态", width=10, repeated=True),
            Column("上次认证时间", DATETIME, width=20),
            Column("认证方式", width=12, repeated=True),
            Column("下次认证截止日期", DATE, width=18),
        ],
        rows=generate(),
    )


def history_report(
    certifications: QuerySet[Certification], *, unit_number: str, now: Any = None
) -> Report:
    """养老退休认证信息: every certification of the unit's pensioners."""
    rows = certifications.annotate(at=ExcelSerial("certified_at")).values_list(
        "person__name", "person__ssn", "at", "channel", "operator_name"
    )

    def generate() -> Iterator[tuple[Any, ...]]:
        local_serial = LocalTime().local_serial
        for name, ssn, at, channel, operator in chunked(rows):
            yield (
                name,
                ssn,
                local_serial(at),
                CHANNEL_LABELS.get(channel, channel),
                operator,
            )

    return Report(
        title="养老退休认证信息",
        filename=f"养老退休认证信息_{unit_number}_{_stamp(now)}.xlsx",
        columns=[
            Column("姓名", width=12),
            Column("身份证", width=22),
            Column("认证时间", DATETIME, width=20),
            Column("认证方式", width=12, repeated=True),
            Column("经办人", width=12, repeated=True),
        ],
        rows=generate(),
    )
