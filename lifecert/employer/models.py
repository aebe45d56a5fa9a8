from django.conf import settings
from django.db import models

from lifecert.registry.models import Unit


class Commitment(models.Model):
    """承诺书: a unit operator accepted the letter before certifying online."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="commitments"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="commitments")
    operator_name = models.CharField(max_length=60)
    version = models.CharField(max_length=20)
    accepted_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "unit", "version"],
                name="commitment_account_unit_version",
            )
        ]

    def __str__(self) -> str:
        return f"承诺书 {self.version} {self.unit_id}"
