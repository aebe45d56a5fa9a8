import uuid
from typing import Any

from django.conf import settings
from django.db import models


class PendingImport(models.Model):
    """导入预览: a checked registry upload waiting for its confirmation.

    The upload's bytes and the plan its uploader was shown (counts, rows and
    the plan's fingerprint), in the database so that any worker on any machine
    can show the preview and take the confirmation.
    """

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    file_name = models.CharField(max_length=255)
    data = models.BinaryField()
    fingerprint = models.CharField(max_length=64)
    # {"counts": {...}, "rows": [...], "skipped": [[row, reason], ...]}
    summary = models.JSONField()
    # Taken by a confirmation that is writing: a second click finds it taken.
    confirming = models.BooleanField(default=False)

    class Meta:
        verbose_name = verbose_name_plural = "导入预览"

    def __str__(self) -> str:
        return f"导入预览 {self.file_name}"

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = self.summary["counts"]
        return counts

    @property
    def rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.summary["rows"]
        return rows

    @property
    def skipped(self) -> list[list[Any]]:
        skipped: list[list[Any]] = self.summary["skipped"]
        return skipped


class DashboardSnapshot(models.Model):
    """仪表盘统计快照: one region's cycle figures as counted at ``computed_at``.

    At a million pensions counting them takes longer than a page may
    (``docs/benchmarks.md``); a large region's dashboard reads this row
    instead, while it is of today, younger than ``DASHBOARD_SNAPSHOT_SECONDS``
    and no suspension run or import has happened since (``dashboard_figures``).
    """

    region = models.OneToOneField(
        "registry.Region", on_delete=models.CASCADE, related_name="+"
    )
    # The local day the figures count for: overdue and due soon move with it.
    as_of = models.DateField()
    computed_at = models.DateTimeField()
    # normal, suspended, terminated, overdue, due_soon, by_month (oldest first).
    figures = models.JSONField()

    class Meta:
        verbose_name = verbose_name_plural = "仪表盘统计快照"

    def __str__(self) -> str:
        return f"仪表盘统计 {self.region_id} {self.computed_at:%Y-%m-%d %H:%M}"
