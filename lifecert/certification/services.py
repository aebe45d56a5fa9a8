"""Certification services: every transition writes an audit event.

When a pension falls due is decided in ``cycle.py``. Past the due date a normal
entitlement is suspended (逾期未认证); a later certification resumes it and
records the months to pay back.
"""

import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.models import Entitlement

from . import cycle
from .cycle import add_months, months_between
from .models import BackPay, Certification, Channel, Overpayment

OVERDUE_REASON = "逾期未认证"
DEATH_REASON = "死亡"


def new_receipt_code() -> str:
    # 16 characters of an unambiguous alphabet: ~80 bits, not guessable.
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(16))


@dataclass
class Resumption:
    months: int
    amount: Decimal


def _resume_if_overdue(
    entitlement: Entitlement,
    certification: Certification,
    *,
    acting_user: Any,
    ip: str | None,
) -> Resumption | None:
    if (
        entitlement.status != Entitlement.Status.SUSPENDED
        or entitlement.status_reason != OVERDUE_REASON
    ):
        return None
    # The pension was stopped from the suspension day until today, whatever day
    # the evidence proves life on (a 数据比对 row is often dated before the
    # suspension). A suspension without a recorded date (older data) is taken
    # to run from the first overdue day rather than counted as none.
    since = entitlement.status_since or cycle.overdue_since(entitlement)
    resumed = timezone.localdate()
    months = months_between(since, resumed)
    amount = entitlement.monthly_amount * months
    BackPay.objects.create(
        entitlement=entitlement,
        certification=certification,
        suspended_since=since,
        months=months,
        amount=amount,
    )
    entitlement.status = Entitlement.Status.NORMAL
    entitlement.status_reason = ""
    entitlement.status_since = resumed
    audit.record(
        AuditAction.ENTITLEMENT_RESUME,
        acting_user=acting_user,
        target=entitlement,
        ip=ip,
        before={"status": "suspended", "since": since.isoformat()},
        after={"status": "normal", "back_pay_months": months, "amount": str(amount)},
    )
    return Resumption(months, amount)


def record_certification(
    *,
    entitlement: Entitlement,
    channel: str,
    acting_user: Any,
    at: datetime.datetime | None = None,
    evidence: dict[str, Any] | None = None,
    operator_name: str = "",
    unit: Any = None,
    ip: str | None = None,
) -> tuple[Certification, Resumption | None]:
    """Record one proof of life for ``entitlement`` and resume it if it was overdue.

    A terminated entitlement cannot be certified.
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    at = at or timezone.now()
    with transaction.atomic():
        entitlement = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
        if entitlement.status == Entitlement.Status.TERMINATED:
            raise ValueError("该待遇已终止，不能认证。")
        certification = Certification.objects.create(
            person_id=entitlement.person_id,
            region_id=entitlement.region_id,
            entitlement=entitlement,
            certified_at=at,
            channel=channel,
            operator=acting_user
            if getattr(acting_user, "is_authenticated", False)
            else None,
            operator_name=operator_name,
            unit=unit,
            evidence=evidence or {},
            receipt_code=new_receipt_code(),
        )
        resumption = _resume_if_overdue(
            entitlement, certification, acting_user=acting_user, ip=ip
        )
        if entitlement.last_certified_at is None or at > entitlement.last_certified_at:
            entitlement.last_certified_at = at
        entitlement.save(
            update_fields=[
                "last_certified_at",
                "status",
                "status_reason",
                "status_since",
            ]
        )
        audit.record(
            AuditAction.CERTIFICATION_CREATE,
            acting_user=acting_user,
            target=certification,
            ip=ip,
            after={"channel": channel, "entitlement": str(entitlement.public_id)},
        )
    return certification, resumption


def suspend_overdue(
    *,
    acting_user: Any,
    now: datetime.datetime | None = None,
    region_ids: list[int] | None = None,
) -> int:
    """Suspend every normal entitlement past its due date, in set-based SQL.

    Returns how many were suspended; each gets an audit row.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    overdue = cycle.overdue(Entitlement.objects.all(), today)
    if region_ids is not None:
        overdue = overdue.filter(region_id__in=region_ids)
    with transaction.atomic():
        pks = list(overdue.select_for_update().values_list("pk", flat=True))
        if not pks:
            return 0
        for start in range(0, len(pks), 5000):
            Entitlement.objects.filter(pk__in=pks[start : start + 5000]).update(
                status=Entitlement.Status.SUSPENDED,
                status_reason=OVERDUE_REASON,
                status_since=today,
            )
        audit.record_many(
            AuditAction.ENTITLEMENT_SUSPEND,
            acting_user=acting_user,
            model=Entitlement,
            pks=pks,
            after={"status": "suspended", "reason": OVERDUE_REASON},
        )
    return len(pks)


def record_death(
    *,
    entitlement: Entitlement,
    death_date: datetime.date,
    acting_user: Any,
    today: datetime.date | None = None,
    ip: str | None = None,
) -> Overpayment | None:
    """Terminate from the month after death; pension paid since is an overpayment."""
    today = today or timezone.localdate()
    with transaction.atomic():
        entitlement = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
        before = {"status": entitlement.status}
        first_unpaid = add_months(death_date.replace(day=1), 1)
        paid_months = 0
        if entitlement.status == Entitlement.Status.NORMAL:
            paid_months = months_between(first_unpaid, today) + (
                1 if today >= first_unpaid else 0
            )
        overpayment = None
        if paid_months:
            overpayment = Overpayment.objects.create(
                entitlement=entitlement,
                death_date=death_date,
                months=paid_months,
                amount=entitlement.monthly_amount * paid_months,
            )
        entitlement.status = Entitlement.Status.TERMINATED
        entitlement.status_reason = DEATH_REASON
        entitlement.status_since = first_unpaid
        entitlement.save(update_fields=["status", "status_reason", "status_since"])
        person = entitlement.person
        if person.death_date != death_date:
            person.death_date = death_date
            person.save(update_fields=["death_date"])
        audit.record(
            AuditAction.ENTITLEMENT_TERMINATE,
            acting_user=acting_user,
            target=entitlement,
            ip=ip,
            before=before,
            after={
                "status": "terminated",
                "death_date": death_date.isoformat(),
                "overpaid_months": paid_months,
            },
        )
    return overpayment
