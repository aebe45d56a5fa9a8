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

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.models import Entitlement, Region

from . import cycle
from .cycle import add_months, months_between
from .models import (
    BackPay,
    Certification,
    Channel,
    DeathAfterCertificationCase,
    FaceSession,
    Overpayment,
    ReviewRequest,
    SuspensionRun,
)

OVERDUE_REASON = "逾期未认证"
DEATH_REASON = "死亡"


# 16 characters of an unambiguous alphabet: ~80 bits, not guessable.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_receipt_code() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(16))


def new_receipt_codes(count: int) -> list[str]:
    """``count`` receipt codes at once, for the set-based paths.

    32 letters divide 256, so each random byte picks one without bias.
    """
    data = secrets.token_bytes(16 * count)
    letters = "".join(RECEIPT_ALPHABET[b % 32] for b in data)
    return [letters[i : i + 16] for i in range(0, len(letters), 16)]


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
        suspension_run=entitlement.suspension_runs.filter(run_on__lte=resumed)
        .order_by("-run_at")
        .first(),
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
    once_a_day: bool = False,
) -> tuple[Certification, Resumption | None]:
    """Record one proof of life for ``entitlement`` and resume it if it was overdue.

    A terminated entitlement cannot be certified. With ``once_a_day`` (窗口 and
    上门, recorded by hand) a second one of the same channel on the same local
    day is refused: it is the same visit sent twice (a double click).
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    at = at or timezone.now()
    with transaction.atomic():
        entitlement = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
        if entitlement.status == Entitlement.Status.TERMINATED:
            raise ValueError("该待遇已终止，不能认证。")
        if once_a_day:
            _refuse_a_second_today(entitlement, channel, at)
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
        audit.record(
            AuditAction.CERTIFICATION_CREATE,
            acting_user=acting_user,
            target=certification,
            ip=ip,
            after={"channel": channel, "entitlement": str(entitlement.public_id)},
        )
        death_date = entitlement.person.death_date
        if death_date is not None and timezone.localdate(at) > death_date:
            # Someone vouched for a person recorded dead (in another region's
            # records, say): the certification is kept as the evidence of the
            # case, but it neither resumes the pension nor moves its due date.
            _open_death_case(
                certification, entitlement, death_date, acting_user=acting_user, ip=ip
            )
            return certification, None
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
    return certification, resumption


def _refuse_a_second_today(
    entitlement: Entitlement, channel: str, at: datetime.datetime
) -> None:
    earlier = (
        Certification.objects.filter(
            entitlement=entitlement,
            channel=channel,
            certified_at__date=timezone.localdate(at),
        )
        .order_by("certified_at")
        .first()
    )
    if earlier is not None:
        raise ValueError(
            f"该养老待遇今天 {timezone.localtime(earlier.certified_at):%H:%M} "
            f"已记录过{Channel(channel).label}认证，无需重复记录。"
        )


class SuspensionChanged(Exception):
    """The overdue list changed between the preview and the confirmation."""

    def __init__(self, expected: int, found: int) -> None:
        super().__init__(f"expected {expected}, found {found}")
        self.expected, self.found = expected, found


def suspension_preview(
    region_ids: list[int] | None, today: datetime.date | None = None
) -> QuerySet[Entitlement]:
    """Who the suspension run would stop today: the cycle's overdue set."""
    overdue = cycle.overdue(Entitlement.objects.all(), today)
    if region_ids is not None:
        overdue = overdue.filter(region_id__in=region_ids)
    return overdue


def run_suspension(
    *,
    acting_user: Any,
    region: Region | None = None,
    now: datetime.datetime | None = None,
    expected: int | None = None,
    source: str = SuspensionRun.Source.STAFF,
    ip: str | None = None,
) -> SuspensionRun | None:
    """Suspend every normal entitlement past its due date, and keep the run.

    ``region`` limits the run to one region (``None``: all). Each suspended
    entitlement gets its suspension date and an audit row; the run records
    who, when, how many and whom. Nothing overdue: no run, ``None`` (so a
    second run on the same day changes nothing). ``expected`` is the count the
    preview showed: a different count raises ``SuspensionChanged``.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        overdue = suspension_preview(None if region is None else [region.pk], today)
        pks = list(overdue.select_for_update().values_list("pk", flat=True))
        if expected is not None and expected != len(pks):
            raise SuspensionChanged(expected, len(pks))
        if not pks:
            return None
        for start in range(0, len(pks), 5000):
            Entitlement.objects.filter(pk__in=pks[start : start + 5000]).update(
                status=Entitlement.Status.SUSPENDED,
                status_reason=OVERDUE_REASON,
                status_since=today,
            )
        actor = acting_user if getattr(acting_user, "is_authenticated", False) else None
        run = SuspensionRun.objects.create(
            run_at=now,
            run_on=today,
            run_by=actor,
            run_by_label=actor.get_username() if actor else "定时任务",
            source=source,
            region=region,
            count=len(pks),
        )
        _list_run(run, pks)
        audit.record_many(
            AuditAction.ENTITLEMENT_SUSPEND,
            acting_user=acting_user,
            model=Entitlement,
            pks=pks,
            after={"status": "suspended", "reason": OVERDUE_REASON},
        )
        audit.record(
            AuditAction.SUSPENSION_RUN,
            acting_user=acting_user,
            target=run,
            ip=ip,
            region_id=region.pk if region else None,
            after={"count": len(pks), "run_on": today.isoformat(), "source": source},
        )
    return run


def _list_run(run: SuspensionRun, pks: list[int]) -> None:
    """The run's list (暂停名单), by ``INSERT … SELECT`` a chunk at a time.

    As ``audit.record_many`` does: at 159,000 pensions ``bulk_create`` spent
    about 17 of a run's 73 s (profiled) building a model instance per row.
    """
    through = SuspensionRun.entitlements.through
    table = through._meta.db_table  # the model's own names, never input
    source = Entitlement._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(pks), 5000):
            chunk = pks[start : start + 5000]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} (suspensionrun_id, entitlement_id)"  # noqa: S608
                f" SELECT %s, id FROM {source} WHERE id IN ({marks})",
                [run.pk, *chunk],
            )


def suspend_overdue(
    *,
    acting_user: Any,
    now: datetime.datetime | None = None,
    region: Region | None = None,
) -> int:
    """``run_suspension`` without a preview; returns how many were suspended."""
    run = run_suspension(acting_user=acting_user, region=region, now=now)
    return run.count if run else 0


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
            # Paid for every month from the one after death up to this one.
            paid_months = months_between(first_unpaid, today) + (
                1 if today >= first_unpaid else 0
            )
        elif (
            entitlement.status == Entitlement.Status.SUSPENDED
            and entitlement.status_since is not None
        ):
            # Paid until the month the suspension began (which was not paid).
            paid_months = months_between(first_unpaid, entitlement.status_since)
        overpayment = None
        if paid_months:
            overpayment = Overpayment.objects.create(
                entitlement=entitlement,
                death_date=death_date,
                months=paid_months,
                amount=entitlement.monthly_amount * paid_months,
                responsible="待遇领取人（继承人）",
            )
        after_death = entitlement.certifications.filter(
            certified_at__gte=cycle.local_midnight(death_date + cycle.ONE_DAY)
        ).order_by("certified_at")
        for certification in after_death.select_related("unit"):
            _open_death_case(
                certification, entitlement, death_date, acting_user=acting_user, ip=ip
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


def _open_death_case(
    certification: Certification,
    entitlement: Entitlement,
    death_date: datetime.date,
    *,
    acting_user: Any,
    ip: str | None,
) -> DeathAfterCertificationCase:
    """Open (once) the case of a certification dated after ``death_date``.

    The entitlement's overpayments not yet tied to a case are attributed to it:
    whoever vouched for the person answers for what was paid after.
    """
    case = DeathAfterCertificationCase.objects.filter(
        certification=certification
    ).first()
    if case is None:
        session_id = (certification.evidence or {}).get("face_session")
        session = FaceSession.objects.filter(certification=certification).first()
        if session is None and session_id:
            session = FaceSession.objects.filter(public_id=session_id).first()
        case = DeathAfterCertificationCase.objects.create(
            person_id=entitlement.person_id,
            entitlement=entitlement,
            certification=certification,
            death_date=death_date,
            certified_at=certification.certified_at,
            channel=certification.channel,
            unit=certification.unit,
            operator=certification.operator,
            operator_name=certification.operator_name,
            face_session=session,
        )
        audit.record(
            AuditAction.DEATH_CASE_OPEN,
            acting_user=acting_user,
            target=case,
            ip=ip,
            region_id=entitlement.region_id,
            after={
                "person": str(entitlement.person.public_id),
                "death_date": death_date.isoformat(),
                "certified_at": certification.certified_at.isoformat(),
                "channel": certification.channel,
                "responsible": case.responsible,
            },
        )
    Overpayment.objects.filter(entitlement=entitlement, case__isnull=True).update(
        case=case, responsible=case.responsible[:200]
    )
    return case


def open_death_cases(
    *, certifications: QuerySet[Certification], acting_user: Any, ip: str | None = None
) -> list[DeathAfterCertificationCase]:
    """Cases for those of ``certifications`` dated after the person's recorded death.

    For the set-based paths (单位代认证) that write certifications without
    ``record_certification``; only the few flagged rows are read one by one.
    """
    flagged = certifications.filter(person__death_date__isnull=False).select_related(
        "entitlement__person", "unit"
    )
    cases = []
    for certification in flagged:
        entitlement = certification.entitlement
        death_date = certification.person.death_date
        if (
            entitlement is not None
            and death_date is not None
            and timezone.localdate(certification.certified_at) > death_date
        ):
            cases.append(
                _open_death_case(
                    certification,
                    entitlement,
                    death_date,
                    acting_user=acting_user,
                    ip=ip,
                )
            )
    return cases


def set_overpayment_status(
    *,
    overpayment: Overpayment,
    status: str,
    acting_user: Any,
    note: str = "",
    ip: str | None = None,
) -> Overpayment:
    """Move an overpayment to 待追回 / 已追回 / 核销, keeping who and when."""
    if status not in Overpayment.Status.values:
        raise ValueError(f"unknown status {status!r}")
    with transaction.atomic():
        overpayment = Overpayment.objects.select_for_update().get(pk=overpayment.pk)
        if overpayment.status == status:
            raise ValueError("状态未变化。")
        before = {"status": overpayment.status}
        overpayment.status = status
        overpayment.status_by = (
            acting_user if getattr(acting_user, "is_authenticated", False) else None
        )
        overpayment.status_at = timezone.now()
        overpayment.status_note = note[:200]
        overpayment.save(
            update_fields=["status", "status_by", "status_at", "status_note"]
        )
        audit.record(
            AuditAction.OVERPAYMENT_STATUS,
            acting_user=acting_user,
            target=overpayment,
            ip=ip,
            region_id=overpayment.entitlement.region_id,
            before=before,
            after={"status": status, "note": note[:200]},
        )
    return overpayment


def close_death_case(
    *, case: DeathAfterCertificationCase, acting_user: Any, ip: str | None = None
) -> DeathAfterCertificationCase:
    """Mark a death-after-certification case as checked (已办结)."""
    with transaction.atomic():
        case = DeathAfterCertificationCase.objects.select_for_update().get(pk=case.pk)
        if case.status == DeathAfterCertificationCase.Status.CLOSED:
            raise ValueError("该核查已办结。")
        case.status = DeathAfterCertificationCase.Status.CLOSED
        case.closed_by = acting_user
        case.closed_at = timezone.now()
        case.save(update_fields=["status", "closed_by", "closed_at"])
        audit.record(
            AuditAction.DEATH_CASE_CLOSE,
            acting_user=acting_user,
            target=case,
            ip=ip,
            region_id=case.entitlement.region_id,
            before={"status": "open"},
            after={"status": "closed"},
        )
    return case


def resolve_review(
    *,
    review: ReviewRequest,
    outcome: str,
    acting_user: Any,
    note: str = "",
    ip: str | None = None,
) -> tuple[Certification | None, Resumption | None]:
    """Close a 人工审核 case; "已认证" certifies (channel 人工审核) and resumes.

    The certification, the resumption with its back pay, the review's status
    and the audit rows are one transaction: a refused certification (a
    terminated pension) leaves the review open.
    """
    if outcome not in (ReviewRequest.Status.APPROVED, ReviewRequest.Status.REJECTED):
        raise ValueError("请选择处理结果。")
    certification = resumption = None
    with transaction.atomic():
        review = ReviewRequest.objects.select_for_update().get(pk=review.pk)
        if review.status != ReviewRequest.Status.OPEN:
            raise ValueError("该审核已处理。")
        if outcome == ReviewRequest.Status.APPROVED:
            entitlement = Entitlement.objects.filter(
                person_id=review.person_id, region_id=review.region_id
            ).first()
            if entitlement is None:
                raise ValueError("该参保人在此参保地没有养老待遇。")
            certification, resumption = record_certification(
                entitlement=entitlement,
                channel=Channel.REVIEW,
                acting_user=acting_user,
                operator_name=getattr(acting_user, "display_name", "")
                or acting_user.get_username(),
                evidence={"review": str(review.public_id), "note": note[:200]},
                ip=ip,
            )
        review.status = outcome
        review.resolved_by = acting_user
        review.resolved_at = timezone.now()
        review.save(update_fields=["status", "resolved_by", "resolved_at"])
        after: dict[str, Any] = {"status": outcome}
        if certification is not None:
            after["certification"] = str(certification.public_id)
        if resumption is not None:
            after["back_pay_months"] = resumption.months
            after["back_pay_amount"] = str(resumption.amount)
        audit.record(
            AuditAction.REVIEW_CLOSE,
            acting_user=acting_user,
            target=review,
            ip=ip,
            before={"status": "open"},
            after=after,
        )
    return certification, resumption
