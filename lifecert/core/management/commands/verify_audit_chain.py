"""Re-compute the audit log's hash chain and name the first broken link.

Exit status 1 when a row was edited, deleted or replaced; record the printed
head (position and hash) somewhere outside the database to notice a rewrite of
the whole chain too.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lifecert.core import audit
from lifecert.core.models import AuditChainHead


class Command(BaseCommand):
    help = "校验审计日志哈希链；发现断链时给出第一处并以非零状态退出"

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit.verify_chain()
        if not report.ok:
            where = f"第 {report.broken_seq} 条"
            if report.broken_id is not None:
                where += f"（id {report.broken_id}）"
            raise CommandError(
                f"审计日志哈希链断裂：{where}：{report.reason}；"
                f"此前 {report.checked} 条完好。"
            )
        head = AuditChainHead.objects.filter(pk=1).first()
        self.stdout.write(
            f"审计日志哈希链完好：{report.checked} 条；"
            f"链头 {head.seq if head else 0} {head.hash if head else audit.GENESIS}"
        )
        if report.unlinked:
            self.stdout.write(
                f"另有 {report.unlinked} 条尚未入链（事务刚提交，下次写入时入链）"
            )
