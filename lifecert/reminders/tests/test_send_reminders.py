"""send_reminders: one SMS per pension and cycle, 30 days ahead, safe to run
twice or in two processes at once, each message and run audited; the SMS
backend is the class SMS_BACKEND names (console, file, locmem)."""

import datetime
import io
import uuid

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from lifecert.backoffice.audit_log import filter_events
from lifecert.core.audit_actions import AuditAction
from lifecert.core.models import AuditEvent
from lifecert.demo import testing
from lifecert.registry.models import Entitlement
from lifecert.reminders import services, sms
from lifecert.reminders.models import Reminder

from .helpers import NOW, TODAY, due_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def outbox(settings):
    settings.SMS_BACKEND = "lifecert.reminders.sms.LocmemBackend"
    settings.SMS_LOCMEM_FAIL = ()
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def test_one_sms_per_pension_due_within_30_days_and_a_second_run_sends_none(outbox):
    region = testing.make_region("440100")
    soon = due_in(30, region=region, phone="13900000001")
    today = due_in(0, region=region, phone="13900000002")
    due_in(31, region=region, phone="13900000003")  # not yet
    due_in(-1, region=region, phone="13900000004")  # overdue: the run's matter
    suspended = due_in(10, region=region, phone="13900000005")
    Entitlement.objects.filter(pk=suspended.pk).update(status="suspended")

    first = services.send_due_reminders()
    assert (first.claimed, first.sent, first.failed, first.no_phone) == (2, 2, 0, 0)
    assert sorted(m.to for m in outbox) == ["13900000001", "13900000002"]
    message = next(m for m in outbox if m.to == "13900000001")
    assert "2026年07月10日前" in message.body
    assert soon.person.name in message.body
    assert "广州市" in message.body
    assert "逾期未认证将暂停发放" in message.body
    assert soon.person.ssn not in message.body

    second = services.send_due_reminders()
    assert second.claimed == 0
    assert len(outbox) == 2
    assert Reminder.objects.count() == 2
    reminder = Reminder.objects.get(entitlement=today)
    assert (reminder.status, reminder.due_on, reminder.attempts) == ("sent", TODAY, 1)
    assert reminder.sent_at == timezone.now()
    # Audited: one row per message (in the pension's region), one per run.
    rows = AuditEvent.objects.filter(action=AuditAction.REMINDER_SMS)
    assert rows.count() == 2
    assert {r.region_id for r in rows} == {region.pk}
    row = rows.get(target_id=str(today.public_id))
    assert row.target_type == "Entitlement"
    assert row.after == {
        "reminder": str(reminder.public_id),
        "due_on": "2026-06-10",
        "phone": "13900000002",
    }
    # A search of the audit log by the pensioner's number finds the message.
    found = filter_events(AuditEvent.objects.all(), {"target": today.person.ssn})
    assert found.filter(action=AuditAction.REMINDER_SMS).count() == 1
    run = AuditEvent.objects.get(action=AuditAction.REMINDER_RUN)
    assert run.after["sent"] == 2
    assert run.after["day"] == "2026-06-10"


def test_two_runs_at_once_send_each_reminder_once(outbox):
    for n in range(3):
        due_in(5 + n, phone=f"1370000000{n}")
    first, second = uuid.uuid4(), uuid.uuid4()
    # Both runs look for work before either sends: the second finds it taken.
    assert services.claim(first, today=TODAY) == 3
    assert services.claim(second, today=TODAY) == 0
    assert services.send_claimed(second).claimed == 0
    assert services.send_claimed(first).sent == 3
    assert sorted(m.to for m in outbox) == ["13700000000", "13700000001", "13700000002"]


def test_a_refused_message_is_tried_again_by_later_runs_up_to_the_limit(
    outbox, settings
):
    settings.REMINDER_MAX_ATTEMPTS = 2
    settings.SMS_LOCMEM_FAIL = ("13600000000",)
    entitlement = due_in(20, phone="13600000000")
    assert services.send_due_reminders().failed == 1
    reminder = Reminder.objects.get(entitlement=entitlement)
    assert (reminder.status, reminder.attempts) == ("failed", 1)
    assert reminder.error == "号码无法接收短信"
    assert services.send_due_reminders().failed == 1
    assert services.send_due_reminders().claimed == 0  # two tries: no more
    reminder.refresh_from_db()
    assert reminder.attempts == 2
    assert not AuditEvent.objects.filter(action=AuditAction.REMINDER_SMS)
    # Allowed again (a new number on file) and the gateway takes it.
    settings.SMS_LOCMEM_FAIL = ()
    Reminder.objects.filter(pk=reminder.pk).update(attempts=1)
    assert services.send_due_reminders().sent == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.error) == ("sent", "")


def test_a_pensioner_without_a_phone_is_recorded_for_a_letter(outbox):
    entitlement = due_in(3, phone="")
    result = services.send_due_reminders()
    assert (result.claimed, result.no_phone, result.sent) == (1, 1, 0)
    assert outbox == []
    assert Reminder.objects.get(entitlement=entitlement).status == "no_phone"
    assert services.send_due_reminders().claimed == 0


def test_the_next_cycle_gets_its_own_reminder(outbox):
    entitlement = due_in(10)
    services.send_due_reminders()
    # Certified on time: the next due date is a year on, and 30 days before
    # it the pensioner is reminded again.
    testing.make_certification(entitlement, certified_at=timezone.now())
    next_due = TODAY.replace(year=2027)
    with time_machine.travel(NOW + (next_due - TODAY) - datetime.timedelta(days=30)):
        services.send_due_reminders()
    assert len(outbox) == 2
    assert sorted(
        Reminder.objects.filter(entitlement=entitlement).values_list(
            "due_on", flat=True
        )
    ) == [TODAY + datetime.timedelta(days=10), next_due]


def test_the_command_prints_through_the_console_backend(settings, capsys):
    settings.DEBUG = True  # a development backend: development only
    settings.SMS_BACKEND = "lifecert.reminders.sms.ConsoleBackend"
    due_in(7, phone="13500000000")
    due_in(8, phone="")
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    printed = capsys.readouterr().out
    assert "SMS to 13500000000" in printed
    assert "2026年06月17日前完成资格认证" in printed
    assert out.getvalue().strip() == (
        "本次提醒 2 人：已发送 1，发送失败 0，无手机号码 1。"
    )
    call_command("send_reminders", stdout=out)
    assert "SMS to" not in capsys.readouterr().out


def test_the_file_backend_writes_one_file_per_run(settings, tmp_path):
    settings.SMS_BACKEND = "lifecert.reminders.sms.FileBackend"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    due_in(1, phone="13300000000")
    due_in(2, phone="13300000001")
    call_command("send_reminders", stdout=io.StringIO())
    (written,) = list((tmp_path / "sms").iterdir())
    text = written.read_text(encoding="utf-8")
    assert text.count("To: 133000000") == 2
    assert "资格认证" in text


def test_a_backend_is_named_by_its_dotted_path(settings):
    stream = io.StringIO()
    backend = sms.get_backend("lifecert.reminders.sms.ConsoleBackend", stream=stream)
    backend.send(sms.SmsMessage("13000000000", "测试"))
    assert "SMS to 13000000000\n测试" in stream.getvalue()
    with pytest.raises(ImportError):
        sms.get_backend("lifecert.reminders.sms.NoSuchBackend")
    with pytest.raises(NotImplementedError):
        sms.BaseSmsBackend().send(sms.SmsMessage("1", "x"))


@pytest.mark.django_db(transaction=True)
def test_two_processes_running_at_the_same_moment_send_each_once(outbox):
    import threading

    from django.db import connection

    phones = {f"1350000{n:04d}" for n in range(40)}
    for phone in phones:
        due_in(9, phone=phone)
    start = threading.Barrier(2)
    results: list[services.RunResult] = []

    def run() -> None:
        try:
            start.wait()
            results.append(services.send_due_reminders())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in results) == 40
    assert sorted(m.to for m in outbox) == sorted(phones)
    assert Reminder.objects.filter(status="sent").count() == 40
    assert AuditEvent.objects.filter(action=AuditAction.REMINDER_SMS).count() == 40


def test_in_production_the_command_refuses_a_backend_that_does_not_send(
    settings, outbox
):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    due_in(3)
    with pytest.raises(CommandError, match="SMS_BACKEND"):
        call_command("send_reminders", stdout=io.StringIO())
    assert not Reminder.objects.exists()
    assert outbox == []
