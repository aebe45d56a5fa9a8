"""Re-seal every stored biometric under the newest data key.

Put the new key first in LIFECERT_DATA_KEYS (keep the old ones after it), run
this, then drop the old keys. Idempotent: what is already under the newest key
is left alone, so an interrupted run is simply run again.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lifecert.certification.biometrics import reseal_biometrics
from lifecert.core import vault


class Command(BaseCommand):
    help = "用最新的数据密钥重新加密建模照片、人脸特征与认证影像（可重复执行）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = reseal_biometrics(batch=options["batch"])
        except vault.VaultError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"密钥 {vault.current_key_id()}：重新加密建模 {counts['templates']} 条，"
            f"人脸认证会话 {counts['sessions']} 条"
        )
