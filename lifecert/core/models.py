from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One row per certification, export, binding change and status change.

    Append-only: written by ``lifecert.core.audit`` only, never changed. Each row
    is chained to the one before it (``seq``, ``prev_hash``, ``hash``) once its
    transaction has committed; ``verify_audit_chain`` re-computes the chain.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    # The region whose staff may read the row; empty: the province only.
    region = models.ForeignKey(
        "registry.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    # The chain: position, the previous row's hash and this row's. Empty until
    # the row's transaction commits and ``audit.chain_pending`` links it.
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True, db_default="")
    hash = models.CharField(max_length=64, blank=True, db_default="")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_id"], name="core_audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class AuditChainHead(models.Model):
    """The one row that holds the end of the audit chain.

    Appending locks it (``select_for_update``), so two writers never link to the
    same predecessor; it also tells a deleted last row from the end of the chain.
    """

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain head {self.seq}"


class SubmittedForm(models.Model):
    """A form page sent once (``lifecert.core.once``): its one-time value,
    hashed with the form and the sender, and where the first submit landed."""

    key = models.CharField(max_length=64, primary_key=True)
    landing = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "已提交表单"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.landing}"
