"""Scheduled: count every region's dashboard figures and keep them as snapshots."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from lifecert.backoffice import dashboard_figures


class Command(BaseCommand):
    help = (
        "重新统计经办后台首页各参保地的待遇人数、到期、逾期和近 12 个月认证情况"
        "（参保人较多的参保地读取此统计）；建议每 5 分钟执行一次。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        figures = dashboard_figures.refresh()
        took = time.perf_counter() - started
        self.stdout.write(
            f"已重新统计 {len(figures)} 个参保地的首页数据，用时 {took:.1f} 秒。"
        )
