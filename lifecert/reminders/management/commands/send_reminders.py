"""Scheduled reminders: an SMS to each pensioner due within REMINDER_DAYS_BEFORE
days, once per cycle. Safe to run twice, or in two processes at once."""

from typing import Any

from django.core.management.base import BaseCommand

from lifecert.reminders.services import send_due_reminders


class Command(BaseCommand):
    help = (
        "向 30 天内认证到期的退休人员发送提醒短信（每个认证周期一次；"
        "可重复执行，建议每日运行）。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_due_reminders()
        self.stdout.write(
            f"本次提醒 {result.claimed} 人：已发送 {result.sent}，"
            f"发送失败 {result.failed}，无手机号码 {result.no_phone}。"
        )
