"""Scheduled suspension run: the same service as the staff's confirmed run."""

from typing import Any

from django.core.management.base import BaseCommand

from lifecert.certification.models import SuspensionRun
from lifecert.certification.services import run_suspension


class Command(BaseCommand):
    help = (
        "暂停逾期未认证的养老待遇（全省），记为一个暂停批次；"
        "同一天再次执行不会重复暂停。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        run = run_suspension(acting_user=None, source=SuspensionRun.Source.SCHEDULE)
        if run is None:
            self.stdout.write("没有需要暂停的养老待遇。")
        else:
            self.stdout.write(
                f"已暂停 {run.count} 条养老待遇（批次 {run.public_id}）。"
            )
