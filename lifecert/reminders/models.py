import uuid

from django.db import models

from lifecert.registry.models import Entitlement, Region


class Reminder(models.Model):
    """One due-date reminder of one pension cycle (认证到期提醒).

    At most one per entitlement and due date: the unique constraint is what
    makes ``send_reminders`` safe to run twice or in two processes at once
    (the run that inserts the row owns it, ``claim``). A certification moves
    the due date, so the next cycle gets its own reminder.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"
        NO_PHONE = "no_phone", "无手机号码"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entitlement = models.ForeignKey(
        Entitlement, on_delete=models.CASCADE, related_name="reminders"
    )
    # The entitlement's region, for region-scoped reads and the audit row.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name="参保地")
    due_on = models.DateField("认证截止日期")
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # The run (``send_reminders``) that holds the row and may send it.
    claim = models.UUIDField(db_index=True)
    phone = models.CharField("手机号码", max_length=20, blank=True)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    error = models.CharField("失败原因", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "认证到期提醒"
        constraints = [
            models.UniqueConstraint(
                fields=["entitlement", "due_on"], name="reminder_one_per_cycle"
            )
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="reminder_status")]

    def __str__(self) -> str:
        return f"提醒 {self.entitlement_id} {self.due_on} {self.get_status_display()}"
