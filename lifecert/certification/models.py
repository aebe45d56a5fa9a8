import uuid

from django.conf import settings
from django.db import models
from uuid6 import uuid7

from lifecert.registry.models import Entitlement, Person, Region, Unit


class Channel(models.TextChoices):
    FACE = "face", "人脸自助"
    UNIT = "unit", "单位代认证"
    COUNTER = "counter", "窗口"
    HOME_VISIT = "home", "上门"
    DATA = "data", "数据比对"
    REVIEW = "review", "人工审核"
    # The last certification a registry import carried over from the system
    # before LifeCert (上次认证日期): how it was done is not known.
    MIGRATED = "migrated", "历史数据迁移"


class Certification(models.Model):
    """资格认证记录: one successful proof of life of a person in a region."""

    # Version 7: a millisecond time, then 74 random bits. Certifications made
    # together land side by side in this unique index instead of one on each of
    # its pages (the largest table, written in batches of thousands), and the id
    # stays as hard to guess. ``bulk.insert_certifications`` draws them here too.
    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    # The composite indexes below lead with person, entitlement and unit, so the
    # plain foreign-key indexes would only slow down writes to this large table.
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="certifications",
        verbose_name="参保人",
        db_index=False,
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, verbose_name="参保地", db_index=False
    )
    entitlement = models.ForeignKey(
        Entitlement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certifications",
        db_index=False,
    )
    certified_at = models.DateTimeField("认证时间")
    channel = models.CharField("认证方式", max_length=8, choices=Channel.choices)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    operator_name = models.CharField("经办人", max_length=100, blank=True)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    evidence = models.JSONField("凭据", default=dict, blank=True)
    # Printed on the receipt; checked on the public 自助打印单据验证 page. Unique
    # through Meta.constraints, not unique=True: on PostgreSQL a unique field
    # also gets a second index for LIKE, which no query uses and every
    # certification paid for (a random key: 100,000 rows through the API
    # 18.3 -> 17.1 s, docs/benchmarks.md). NULL, not "", for a certification
    # without a code: the constraint admits many of those.
    receipt_code = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001

    class Meta:
        verbose_name = verbose_name_plural = "资格认证记录"
        indexes = [
            models.Index(fields=["person", "-certified_at"], name="cert_person_time"),
            models.Index(fields=["entitlement", "-certified_at"], name="cert_ent_time"),
            models.Index(fields=["unit", "-certified_at"], name="cert_unit_time"),
            # This month's certifications of each channel (the dashboard): one
            # covering range per channel.
            models.Index(
                fields=["channel", "certified_at", "region"], name="cert_channel_time"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["receipt_code"], name="cert_receipt_code")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.certified_at:%Y-%m-%d} {self.channel}"


class SuspensionRun(models.Model):
    """One run of the suspension (暂停逾期未认证): who, when, how many, whom."""

    class Source(models.TextChoices):
        STAFF = "staff", "经办人员确认"
        SCHEDULE = "schedule", "定时任务"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    run_at = models.DateTimeField("执行时间")
    run_on = models.DateField("暂停日期")
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    run_by_label = models.CharField("执行人", max_length=150)
    source = models.CharField(
        "方式", max_length=10, choices=Source.choices, default=Source.STAFF
    )
    # NULL: every region (province staff or the scheduled run).
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, verbose_name="参保地"
    )
    count = models.PositiveIntegerField("暂停人数")
    entitlements = models.ManyToManyField(
        Entitlement, related_name="suspension_runs", verbose_name="暂停名单"
    )

    class Meta:
        verbose_name = verbose_name_plural = "暂停批次"
        ordering = ["-run_at"]

    def __str__(self) -> str:
        return f"暂停批次 {self.run_on:%Y-%m-%d} {self.count} 人"


class BackPay(models.Model):
    """Months to pay back when a suspended entitlement is resumed (补发)."""

    entitlement = models.ForeignKey(
        Entitlement, on_delete=models.PROTECT, related_name="back_pays"
    )
    certification = models.ForeignKey(Certification, on_delete=models.PROTECT)
    # The run that stopped the pension, when one did (NULL for older data).
    suspension_run = models.ForeignKey(
        SuspensionRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="back_pays",
    )
    suspended_since = models.DateField()
    months = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "补发"
        # 补发清单: newest first, and a month of resumptions, as one index range.
        indexes = [models.Index(fields=["created_at"], name="backpay_created")]

    def __str__(self) -> str:
        return f"补发 {self.months} 个月"


class DeathAfterCertificationCase(models.Model):
    """死亡后认证: a certification dated after a recorded death, for staff to check.

    It names who vouched for the person: the unit and its operator, the
    counter or visiting staff, the face session, or the data source.
    """

    class Status(models.TextChoices):
        OPEN = "open", "待核查"
        CLOSED = "closed", "已办结"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="death_cases"
    )
    entitlement = models.ForeignKey(
        Entitlement, on_delete=models.PROTECT, related_name="death_cases"
    )
    certification = models.OneToOneField(
        Certification, on_delete=models.PROTECT, related_name="death_case"
    )
    death_date = models.DateField("死亡日期")
    certified_at = models.DateTimeField("认证时间")
    channel = models.CharField("认证方式", max_length=8, choices=Channel.choices)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="单位"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    operator_name = models.CharField("经办人", max_length=100, blank=True)
    face_session = models.ForeignKey(
        "FaceSession", null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(
        "状态", max_length=8, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "死亡后认证核查"

    def __str__(self) -> str:
        return f"死亡后认证 {self.person_id} {self.get_channel_display()}"

    @property
    def responsible(self) -> str:
        """Who vouched for the person, in the words staff use."""
        parts = [self.get_channel_display()]
        if self.unit is not None:
            parts.append(f"单位 {self.unit.number} {self.unit.name}")
        if self.operator_name:
            parts.append(f"经办人 {self.operator_name}")
        if self.face_session is not None:
            parts.append(f"人脸认证 {self.face_session.public_id}")
        return "，".join(parts)


class Overpayment(models.Model):
    """Pension paid after the month of death, to recover (追回)."""

    class Status(models.TextChoices):
        PENDING = "pending", "待追回"
        RECOVERED = "recovered", "已追回"
        WRITTEN_OFF = "written_off", "核销"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entitlement = models.ForeignKey(
        Entitlement, on_delete=models.PROTECT, related_name="overpayments"
    )
    death_date = models.DateField()
    months = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who answers for it: the case of a certification after death, whose unit
    # signed the 承诺书 (or whose operator or session vouched), else the
    # person's estate as the receiver of the pension.
    case = models.ForeignKey(
        DeathAfterCertificationCase,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="overpayments",
    )
    responsible = models.CharField("责任方", max_length=200, blank=True)
    status = models.CharField(
        "追回状态", max_length=12, choices=Status.choices, default=Status.PENDING
    )
    status_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status_at = models.DateTimeField("状态变更时间", null=True, blank=True)
    status_note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "多发追回"

    def __str__(self) -> str:
        return f"追回 {self.months} 个月"


class FaceTemplate(models.Model):
    """建模: an enrolled reference photo of a person and its face descriptor."""

    class Status(models.TextChoices):
        PENDING = "pending", "待建模"
        READY = "ready", "已建模"
        FAILED = "failed", "建模失败"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="face_templates"
    )
    # Both sealed (lifecert.core.vault): the photo's bytes, the descriptor's JSON.
    photo = models.BinaryField("建模照片（加密）")
    content_type = models.CharField(max_length=40, default="image/jpeg")
    # NULL: no descriptor (a refused photo), as when this was a JSON column.
    descriptor = models.TextField("人脸特征（加密）", null=True, blank=True)  # noqa: DJ001
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    failure_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "建模照片"

    def __str__(self) -> str:
        return f"建模 {self.person_id} {self.get_status_display()}"


class FaceSession(models.Model):
    """人脸认证: one attempt of face certification, one-time and expiring."""

    class Status(models.TextChoices):
        OPEN = "open", "进行中"
        PASSED = "passed", "认证成功"
        FAILED = "failed", "认证失败"
        EXPIRED = "expired", "已过期"
        ABANDONED = "abandoned", "已放弃"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="face_sessions"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    challenge = models.JSONField()
    # The engine's state while the session is open, sealed (lifecert.core.vault):
    # one sealed string, never the dict itself (it carries face crops).
    state = models.JSONField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    verdict = models.CharField(max_length=20, blank=True)
    score = models.FloatField(null=True, blank=True)
    frames_seen = models.PositiveIntegerField(default=0)
    # A face was seen: only then does a session that did not pass count as a
    # failed attempt of the day.
    face_seen = models.BooleanField(default=False)
    # A few frames of a failed session for the manual review, kept until
    # ``evidence_until`` (FACE_REVIEW_KEEP_DAYS), then purged. A list of sealed
    # JPEGs (lifecert.core.vault), opened only by ``biometrics.review_frames``.
    evidence = models.JSONField(null=True, blank=True)
    evidence_until = models.DateTimeField(null=True, blank=True)
    # The address the session was started from (audit.client_ip).
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    certification = models.OneToOneField(
        Certification, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        indexes = [
            models.Index(fields=["person", "created_at"], name="face_person_time"),
            # The sessions under way (face_attempts.room_full).
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="open"),
                name="face_open_time",
            ),
            # The sessions under way from one address (face_attempts.address_full).
            models.Index(
                fields=["ip", "created_at"],
                condition=models.Q(status="open"),
                name="face_open_ip_time",
            ),
        ]

    def __str__(self) -> str:
        return f"人脸认证 {self.public_id} {self.get_status_display()}"


class ReviewRequest(models.Model):
    """A case the camera could not decide, waiting for staff (人工审核)."""

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        APPROVED = "approved", "已认证"
        REJECTED = "rejected", "不予认证"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="review_requests"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT)
    reason = models.CharField(max_length=200)
    # The failed face session whose kept frames staff look at (人工审核影像);
    # its frames are purged after FACE_REVIEW_KEEP_DAYS, the link stays.
    face_session = models.ForeignKey(
        FaceSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviews",
        verbose_name="人脸认证",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"人工审核 {self.person_id} {self.get_status_display()}"
