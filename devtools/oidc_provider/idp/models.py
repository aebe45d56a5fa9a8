from django.conf import settings
from django.db import models


class Identity(models.Model):
    """What the provincial platform knows of a user: real name and ID number."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity"
    )
    name = models.CharField(max_length=60)
    id_number = models.CharField(max_length=18)

    def __str__(self) -> str:
        return self.name
