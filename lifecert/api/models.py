"""Tokens of the bureau's other systems, and the batches they pushed."""

import uuid

from django.conf import settings
from django.db import models

from lifecert.registry.models import Region


class Scope(models.TextChoices):
    READ_STATUS = "read_status", "查询认证状态"
    PUSH_EVIDENCE = "push_evidence", "推送数据比对结果"
    PUSH_DEATHS = "push_deaths", "推送死亡名单"
    PULL_CERTIFICATIONS = "pull_certifications", "拉取认证、暂停、补发与追回记录"


class ApiToken(models.Model):
    """接口令牌: one per calling system, issued by staff.

    The secret is shown once; only its SHA-256 is kept. ``key`` is the public
    part of the token that finds the row. ``region`` NULL: province-wide.
    Rotating gives the same row a new key and secret (batches stay its own).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    system_name = models.CharField("系统名称", max_length=80)
    scopes = models.JSONField("权限范围", default=list)
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name="参保地",
        related_name="+",
    )
    key = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("发放时间")
    rotated_at = models.DateTimeField("最近更换时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近调用时间", null=True, blank=True)
    revoked_at = models.DateTimeField("停用时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"接口令牌 {self.system_name}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def scope_labels(self) -> list[str]:
        return [str(Scope(s).label) for s in self.scopes if s in Scope.values]


class ApiBatch(models.Model):
    """A batch a system pushed, kept so that the same batch id is applied once."""

    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12)
    batch_id = models.CharField(max_length=64)
    # SHA-256 of the batch's rows in a canonical form: the same id with other
    # rows is a conflict, not a replay.
    digest = models.CharField(max_length=64)
    result = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["token", "kind", "batch_id"], name="api_batch_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.batch_id}"
