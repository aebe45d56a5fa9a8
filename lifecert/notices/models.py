import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lifecert.registry.models import Region


class NoticeQuerySet(models.QuerySet["Notice"]):
    def visible(self, at: datetime.datetime | None = None) -> "NoticeQuerySet":
        """Published by ``at`` (now by default) and not yet withdrawn."""
        at = at or timezone.now()
        return self.filter(publish_at__lte=at).filter(
            Q(withdraw_at__isnull=True) | Q(withdraw_at__gt=at)
        )


class Notice(models.Model):
    """A portal notice (政策解读 / 工作动态 / 公示公告), for one region or the
    whole province (no region)."""

    class Category(models.TextChoices):
        POLICY = "policy", "政策解读"
        NEWS = "news", "工作动态"
        ANNOUNCEMENT = "announcement", "公示公告"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    category = models.CharField("栏目", max_length=16, choices=Category.choices)
    title = models.CharField("标题", max_length=120)
    # What staff wrote (Markdown) and what pages show: rendered and sanitised
    # once, when saved (markup.render_markdown).
    body = models.TextField("正文（Markdown）")
    body_html = models.TextField(editable=False)
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
        verbose_name="发布范围",
    )
    publish_at = models.DateTimeField("发布时间")
    withdraw_at = models.DateTimeField("撤回时间", null=True, blank=True)
    # The attachment lives in the database, as reference photos do: every
    # worker on every machine serves it, and nothing is left on one disk.
    # Lists defer it (access.py). The name the staff member uploaded is shown
    # and given to the download.
    attachment_data = models.BinaryField(default=b"", editable=False)
    attachment_name = models.CharField(max_length=120, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    attachment_size = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "门户公告"
        ordering = ["-publish_at", "-id"]
        indexes = [
            models.Index(fields=["category", "-publish_at"], name="notice_cat_pub")
        ]

    def __str__(self) -> str:
        return self.title

    def state(self, at: datetime.datetime | None = None) -> str:
        """待发布 / 已发布 / 已撤回 at ``at`` (now by default)."""
        at = at or timezone.now()
        if self.withdraw_at is not None and self.withdraw_at <= at:
            return "已撤回"
        return "已发布" if self.publish_at <= at else "待发布"
