import uuid

from django.db import models
from django.db.models import Q

from lifecert.core.lookups import Literal
from lifecert.core.masking import mask_id


class Region(models.Model):
    """参保地: a city-level social insurance region (6-digit code, 440100 广州)."""

    code = models.CharField("参保地代码", max_length=6, unique=True)
    name = models.CharField("参保地", max_length=40)
    # Where a pensioner goes when the camera cannot certify them: shown on every
    # failure page with the national 12333 line.
    office_name = models.CharField(
        "社保经办机构", max_length=80, blank=True, db_default=""
    )
    office_address = models.CharField(
        "经办机构地址", max_length=200, blank=True, db_default=""
    )
    office_phone = models.CharField(
        "咨询电话", max_length=40, blank=True, db_default=""
    )

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "参保地"

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Person(models.Model):
    """参保人, keyed by the social security number (社会保障号码)."""

    class Gender(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"
        UNKNOWN = "", "未知"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ssn = models.CharField("社会保障号码", max_length=18, unique=True)
    # Held under Guangdong's 2014 coding rule: accepted only because it is registered.
    legacy_code = models.BooleanField("旧编码", default=False)
    # Indexed for the employer list's 信息查询 by name prefix.
    name = models.CharField("姓名", max_length=60, db_index=True)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    address = models.CharField("居住地址", max_length=200, blank=True)
    death_date = models.DateField("死亡日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "参保人"

    def __str__(self) -> str:
        return f"{self.name} {mask_id(self.ssn)}"

    @property
    def masked_ssn(self) -> str:
        return mask_id(self.ssn)


class Unit(models.Model):
    """单位: an employer, keyed by its unit number within a region."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name="参保地")
    number = models.CharField("单位编号", max_length=20, unique=True)
    name = models.CharField("单位名称", max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "单位"

    def __str__(self) -> str:
        return f"{self.name}（{self.number}）"


class Entitlement(models.Model):
    """养老待遇: a person's pension in one region."""

    class Status(models.TextChoices):
        NORMAL = "normal", "正常"
        SUSPENDED = "suspended", "暂停"
        TERMINATED = "terminated", "终止"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # (person, region) is unique and (region, status) indexed: both lead with
    # these columns, so plain foreign-key indexes would only slow down writes.
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="entitlements",
        verbose_name="参保人",
        db_index=False,
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, verbose_name="参保地", db_index=False
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entitlements",
        verbose_name="发放单位",
    )
    status = models.CharField(
        "待遇状态", max_length=12, choices=Status.choices, default=Status.NORMAL
    )
    status_reason = models.CharField("状态原因", max_length=200, blank=True)
    status_since = models.DateField("状态起始", null=True, blank=True)
    monthly_amount = models.DecimalField("月养老金", max_digits=10, decimal_places=2)
    start_date = models.DateField("待遇开始日期")
    # Kept by the certification services so lists and due dates need no scan of
    # the (large) certification table.
    last_certified_at = models.DateTimeField("上次认证时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "养老待遇"
        constraints = [
            models.UniqueConstraint(
                fields=["person", "region"], name="entitlement_person_region"
            )
        ]
        indexes = [
            # The employer list: a unit's normal pensioners by last certification.
            # person_id makes it covering for the counts of a name search.
            models.Index(
                fields=["unit", "last_certified_at", "person"],
                name="entitlement_unit_normal",
                condition=Q(status="normal"),
            ),
            models.Index(fields=["region", "status"], name="entitlement_region_status"),
            # The dashboard's cycle counts (backoffice.dashboard): each of the
            # cycle's conditions is one range of a region's normal pensions by
            # last certification, or by start date for the never certified.
            models.Index(
                fields=["region", "last_certified_at", "start_date"],
                name="entitlement_region_cycle",
                condition=Q(status="normal"),
            ),
            # The suspension preview and run, province-wide: normal pensions
            # last certified before a day, or never certified and started
            # before it (``cycle.overdue``): two ranges of this index instead of
            # a walk of every normal row. The employer list keeps its own index
            # (checked with EXPLAIN on both databases: docs/benchmarks.md).
            models.Index(
                fields=["last_certified_at", "start_date"],
                name="entitlement_normal_due",
                condition=Q(status="normal"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.region_id} {self.get_status_display()}"


# status__literal="normal" matches the partial index entitlement_unit_normal.
Entitlement._meta.get_field("status").register_lookup(Literal)
