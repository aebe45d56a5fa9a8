"""Drop biometric data no longer needed: review frames past FACE_REVIEW_KEEP_DAYS,
half-way states of sessions that are over. Idempotent; schedule it daily."""

from typing import Any

from django.core.management.base import BaseCommand

from lifecert.certification.biometrics import purge_biometrics


class Command(BaseCommand):
    help = (
        "清除超过保留期的人脸认证影像与已结束会话的中间数据（可重复执行，建议每日运行）"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = purge_biometrics()
        evidence, states = counts["evidence"], counts["states"]
        self.stdout.write(f"已清除：审核影像 {evidence} 条，会话中间数据 {states} 条")
