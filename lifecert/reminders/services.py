"""认证到期提醒: an SMS to each pensioner whose certification falls due within
``REMINDER_DAYS_BEFORE`` days (the cycle's own ``due_within``), once per cycle.

A run has two steps. ``claim`` inserts one ``Reminder`` per entitlement and
due date, marked with the run's token; a row that is already there (an earlier
run, or another process right now) is left alone by the unique constraint, so
each reminder belongs to exactly one run. ``send_claimed`` then sends only the
run's own rows and records each outcome, with an audit row per message sent
and one for the run. Failed messages are taken up again by a later run, up to
``REMINDER_MAX_ATTEMPTS`` tries, while the due date has not passed.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lifecert.certification import cycle
from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.models import Entitlement

from .models import Reminder
from .sms import BaseSmsBackend, SmsError, SmsMessage, get_backend

BATCH = 500


@dataclass
class RunResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    no_phone: int = 0


def reminder_text(entitlement: Entitlement, due_on: datetime.date) -> str:
    """The message: what falls due, by when, how to do it, what happens if not."""
    region = entitlement.region
    office = region.office_name or f"{region.name}社保经办机构"
    phone = f"咨询电话 {region.office_phone}。" if region.office_phone else ""
    return (
        f"【{region.name}社保】{entitlement.person.name}您好："
        f"您在{region.name}领取的养老待遇须在{due_on:%Y年%m月%d日}前完成"
        f"资格认证（每 {cycle.cycle_months()} 个月一次）。"
        f"可在手机上登录养老待遇资格认证平台进行人脸认证，或到{office}窗口办理；"
        f"逾期未认证将暂停发放养老金，认证后恢复并补发。{phone}"
    )


def claim(
    token: uuid.UUID,
    *,
    today: datetime.date | None = None,
    days: int | None = None,
) -> int:
    """Take this run's reminders: new ones for the entitlements due soon, and
    failed ones still worth a try. Returns how many the run holds."""
    today = today or timezone.localdate()
    days = settings.REMINDER_DAYS_BEFORE if days is None else days
    months = cycle.cycle_months()
    due = cycle.due_within(Entitlement.objects.all(), days, today).values_list(
        "id", "region_id", "last_certified_at", "start_date"
    )
    rows: list[Reminder] = []
    for pk, region_id, last, started in due.iterator(chunk_size=2000):
        last_day = None if last is None else timezone.localdate(last)
        rows.append(
            Reminder(
                entitlement_id=pk,
                region_id=region_id,
                due_on=cycle.due_date(last_day, started, months),
                claim=token,
            )
        )
        if len(rows) >= BATCH:
            Reminder.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    if rows:
        Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    # One UPDATE: two runs cannot both take a failed row (the second finds
    # it no longer failed once the first has committed).
    Reminder.objects.filter(
        status=Reminder.Status.FAILED,
        attempts__lt=settings.REMINDER_MAX_ATTEMPTS,
        due_on__gte=today,
    ).update(claim=token, status=Reminder.Status.PENDING)
    return Reminder.objects.filter(claim=token, status=Reminder.Status.PENDING).count()


def send_claimed(
    token: uuid.UUID, *, backend: BaseSmsBackend | None = None
) -> RunResult:
    """Send the run's pending reminders and record each outcome."""
    backend = backend or get_backend()
    result = RunResult()
    backend.open()
    try:
        last = 0
        while True:
            batch = list(
                Reminder.objects.filter(
                    claim=token, status=Reminder.Status.PENDING, pk__gt=last
                )
                .select_related("entitlement__person", "entitlement__region")
                .order_by("pk")[:BATCH]
            )
            if not batch:
                break
            last = batch[-1].pk
            _send_batch(batch, backend, result)
    finally:
        backend.close()
    return result


def _send_batch(
    batch: list[Reminder], backend: BaseSmsBackend, result: RunResult
) -> None:
    sent: list[Reminder] = []
    now = timezone.now()
    for reminder in batch:
        result.claimed += 1
        person = reminder.entitlement.person
        phone = person.phone.strip()
        if not phone:
            reminder.status = Reminder.Status.NO_PHONE
            result.no_phone += 1
        else:
            reminder.phone = phone
            reminder.attempts += 1
            try:
                backend.send(
                    SmsMessage(
                        phone, reminder_text(reminder.entitlement, reminder.due_on)
                    )
                )
            except SmsError as exc:
                reminder.status = Reminder.Status.FAILED
                reminder.error = str(exc)[:200]
                result.failed += 1
            else:
                reminder.status = Reminder.Status.SENT
                reminder.sent_at = now
                reminder.error = ""
                sent.append(reminder)
                result.sent += 1
    with transaction.atomic():
        Reminder.objects.bulk_update(
            batch, ["status", "phone", "attempts", "error", "sent_at"]
        )
        # One row per message, about the pension (so a search of the audit
        # log by the pensioner's number finds it), in the pension's region.
        for reminder in sent:
            audit.record(
                AuditAction.REMINDER_SMS,
                acting_user=None,
                target=reminder.entitlement,
                after={
                    "reminder": str(reminder.public_id),
                    "due_on": reminder.due_on.isoformat(),
                    "phone": reminder.phone,
                },
            )


def send_due_reminders(
    *,
    today: datetime.date | None = None,
    days: int | None = None,
    backend: BaseSmsBackend | None = None,
) -> RunResult:
    """One run of ``send_reminders``: claim, send, audit the run."""
    today = today or timezone.localdate()
    token = uuid.uuid4()
    claim(token, today=today, days=days)
    result = send_claimed(token, backend=backend)
    if result.claimed:
        audit.record(
            AuditAction.REMINDER_RUN,
            acting_user=None,
            after={
                "run": str(token),
                "day": today.isoformat(),
                "sent": result.sent,
                "failed": result.failed,
                "no_phone": result.no_phone,
            },
        )
    return result


def reminder_label(status: str | None) -> str:
    """What staff read for a reminder's status; 未发送 while there is none."""
    return Reminder.Status(status).label if status else "未发送"


def label_reminders(entitlements: list[Entitlement]) -> None:
    """Set ``reminder`` on each entitlement: the label of its current cycle's SMS."""
    sent = reminders_of([entitlement.pk for entitlement in entitlements])
    for entitlement in entitlements:
        due = cycle.due_date_of(entitlement)
        status = sent.get((entitlement.pk, due)) if due else None
        entitlement.reminder = reminder_label(status)  # type: ignore[attr-defined]


def reminders_of(entitlement_ids: list[int]) -> dict[tuple[int, datetime.date], str]:
    """Each reminder's status by (entitlement id, due date): a due date's own
    cycle, never an older one's."""
    rows = Reminder.objects.filter(entitlement_id__in=entitlement_ids).values_list(
        "entitlement_id", "due_on", "status"
    )
    return {(pk, due): status for pk, due, status in rows}
