"""Scheduled reminders: an SMS to each pensioner due within REMINDER_DAYS_BEFORE
days, once per cycle. Safe to run twice, or in two processes at once."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lifecert.reminders.services import send_due_reminders

# They print or keep names and numbers instead of sending them: development only.
DEVELOPMENT_BACKENDS = {
    "lifecert.reminders.sms.ConsoleBackend",
    "lifecert.reminders.sms.LocmemBackend",
}


class Command(BaseCommand):
    help = (
        "向 30 天内认证到期的退休人员发送提醒短信（每个认证周期一次；"
        "可重复执行，建议每日运行）。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and settings.SMS_BACKEND in DEVELOPMENT_BACKENDS:
            raise CommandError(
                f"SMS_BACKEND 仍为开发用的 {settings.SMS_BACKEND}（只打印、不发送）："
                "请设置为短信网关的发送类后再运行。"
            )
        result = send_due_reminders()
        self.stdout.write(
            f"本次提醒 {result.claimed} 人：已发送 {result.sent}，"
            f"发送失败 {result.failed}，无手机号码 {result.no_phone}。"
        )
