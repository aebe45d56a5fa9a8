"""Filters and audited exports of the cycle's lists (暂停名单, 补发清单, 待追回清单)."""

import datetime
from typing import IO, Any

from django.db.models import QuerySet

from lifecert.certification.cycle import add_months, local_midnight
from lifecert.certification.models import BackPay, Overpayment
from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.exports.xlsx import Report, write_report_to_tempfile


def filter_back_pays(
    back_pays: QuerySet[BackPay], criteria: dict[str, Any]
) -> QuerySet[BackPay]:
    """By the run that stopped the pension, the month it resumed (local), region."""
    if run := criteria.get("run"):
        back_pays = back_pays.filter(suspension_run__public_id=run)
    if month := criteria.get("month"):
        first = month.replace(day=1)
        back_pays = back_pays.filter(
            created_at__gte=local_midnight(first),
            created_at__lt=local_midnight(add_months(first, 1)),
        )
    if region := criteria.get("region"):
        back_pays = back_pays.filter(entitlement__region=region)
    return back_pays


def filter_overpayments(
    overpayments: QuerySet[Overpayment], criteria: dict[str, Any]
) -> QuerySet[Overpayment]:
    if status := criteria.get("status"):
        overpayments = overpayments.filter(status=status)
    if region := criteria.get("region"):
        overpayments = overpayments.filter(entitlement__region=region)
    return overpayments


def export_list(
    report: Report,
    *,
    action: AuditAction,
    criteria: dict[str, Any],
    acting_user: Any,
    ip: str | None,
) -> IO[bytes]:
    """Write ``report`` to a workbook and audit the export (rows, criteria, file)."""
    handle, rows = write_report_to_tempfile(report)
    audit.record(
        action,
        acting_user=acting_user,
        ip=ip,
        after={
            "rows": rows,
            "criteria": {k: _plain(v) for k, v in criteria.items() if v},
            "file": report.filename,
        },
    )
    return handle


def _plain(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(getattr(value, "code", value))
