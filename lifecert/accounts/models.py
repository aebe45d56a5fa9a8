import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from lifecert.registry.models import Person, Region, Unit


class User(AbstractUser):
    """One login. ``kind`` says which side of the portal it belongs to."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", "个人"
        UNIT = "unit", "单位"
        STAFF = "staff", "社保经办人员"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("账号类型", max_length=10, choices=Kind.choices)
    display_name = models.CharField("姓名", max_length=60, blank=True)
    phone = models.CharField("手机号码", max_length=20, blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    # Staff of one region see only that region; no region means the province.
    staff_region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )

    # A unit account's bindings, read by AccountBackend.get_user (not a field;
    # no class default either: Prefetch(to_attr=...) takes any value it finds
    # as already read). Read it through access.bindings_of.
    loaded_bindings: "list[UnitBinding]"

    class Meta:
        verbose_name = verbose_name_plural = "账号"


class AuthorizationCode(models.Model):
    """授权码: one per unit number, issued by the bureau, stored as a keyed hash."""

    unit = models.OneToOneField(
        Unit, on_delete=models.CASCADE, related_name="auth_code"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # A code is used up by the binding it makes (a second account needs a new one).
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "授权码"

    def __str__(self) -> str:
        return f"授权码 {self.unit.number}"


class UnitBinding(models.Model):
    """绑定: a unit account bound to one unit number, with its bound operator."""

    class Via(models.TextChoices):
        CODE = "code", "授权码"
        OLD_ACCOUNT = "old_account", "旧账号"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bindings"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="bindings")
    operator_name = models.CharField("经办人姓名", max_length=60)
    operator_phone = models.CharField("经办人手机", max_length=20)
    operator_id_number = models.CharField("经办人证件号码", max_length=18)
    via = models.CharField(max_length=12, choices=Via.choices)
    bound_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "单位绑定"
        constraints = [
            models.UniqueConstraint(
                fields=["account", "unit"], name="binding_account_unit"
            )
        ]
        ordering = ["bound_at", "id"]

    def __str__(self) -> str:
        return f"{self.account} -> {self.unit.number}"


class FamilyLink(models.Model):
    """A personal account helping a family member certify (家属协助)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="family_links"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="helpers")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "person"], name="family_account_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} 协助 {self.person_id}"


class ExternalIdentity(models.Model):
    """统一身份认证: an identity at the OpenID Connect provider (issuer +
    subject) linked, for one side of the portal, to one account."""

    issuer = models.CharField(max_length=200)
    subject = models.CharField(max_length=255)
    kind = models.CharField(max_length=10, choices=User.Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identities"
    )
    linked_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "统一身份认证关联"
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject", "kind"],
                name="identity_issuer_subject_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject} -> {self.user_id}"
