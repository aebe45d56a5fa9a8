"""Request and response shapes: what the schema documents and the views check."""

import re
from typing import Any

from django.conf import settings
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from lifecert.registry.ids import InvalidNumber, validate_ssn
from lifecert.registry.models import Entitlement

BATCH_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class ErrorItem(serializers.Serializer[Any]):
    field = serializers.CharField(
        allow_null=True, help_text="出错的字段；整体错误为 null"
    )
    row = serializers.IntegerField(
        allow_null=True, help_text="批次中的行号（从 1 起）；不涉及行时为 null"
    )
    code = serializers.CharField(help_text="稳定的错误代码，供程序判断")
    message = serializers.CharField(help_text="中文说明：出了什么错、该怎么改")


# "errors" would shadow ``Serializer.errors``: declared inline instead.
ErrorResponse = inline_serializer("ErrorResponse", {"errors": ErrorItem(many=True)})


class StatusRequest(serializers.Serializer[Any]):
    ssn = serializers.CharField(max_length=32, help_text="社会保障号码（18 位）")

    def validate_ssn(self, value: str) -> str:
        try:
            return validate_ssn(value)
        except InvalidNumber as exc:
            raise serializers.ValidationError(exc.message, code="invalid_ssn") from None


CERT_STATUS = {
    "current": "已认证",
    "due_soon": "即将到期",
    "overdue": "逾期未认证",
    "terminated": "待遇已终止",
}


class EntitlementStatus(serializers.Serializer[Any]):
    entitlement_id = serializers.UUIDField()
    region_code = serializers.CharField()
    region_name = serializers.CharField()
    unit_number = serializers.CharField(allow_null=True)
    pension_status = serializers.ChoiceField(choices=Entitlement.Status.values)
    pension_status_label = serializers.CharField()
    status_reason = serializers.CharField(allow_blank=True)
    status_since = serializers.DateField(allow_null=True)
    last_certified_at = serializers.DateTimeField(allow_null=True)
    due_date = serializers.DateField(allow_null=True, help_text="认证截止日（含当天）")
    certification_status = serializers.ChoiceField(choices=list(CERT_STATUS))
    certification_status_label = serializers.CharField()


class StatusResponse(serializers.Serializer[Any]):
    ssn = serializers.CharField(help_text="脱敏的社会保障号码")
    name = serializers.CharField()
    death_date = serializers.DateField(allow_null=True)
    entitlements = EntitlementStatus(many=True)


class _Envelope(serializers.Serializer[Any]):
    """The envelope of a pushed batch; its rows are checked one by one."""

    batch_id = serializers.CharField(
        max_length=64,
        help_text="调用方的批次号（字母、数字、. _ : -）；同一批次号只处理一次",
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="true：只预览处理结果，不写入"
    )

    def validate_batch_id(self, value: str) -> str:
        if not BATCH_ID.match(value):
            raise serializers.ValidationError(
                "批次号只能由字母、数字和 . _ : - 组成，最长 64 位。",
                code="invalid_batch_id",
            )
        return value


class RowObjects(serializers.ListField):
    """A list of JSON objects, as ``ListField(child=DictField())`` checks it.

    When every item is an object the list is taken as it is: DictField ran a
    field over each value of each row (100,000 calls for a 5,000-row batch)
    to return the same values. Otherwise DRF's own check names the bad items.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.DictField(), **kwargs)

    def run_child_validation(self, data: list[Any]) -> list[Any]:
        if all(isinstance(item, dict) for item in data):
            return list(data)
        # DRF raises for the items that are not objects: it never returns here.
        result: list[Any] = super().run_child_validation(data)
        return result  # pragma: no cover


class Batch(_Envelope):
    """What the views parse: the rows as objects, their shape left to rows.py."""

    rows = RowObjects(allow_empty=False)

    def validate_rows(self, value: list[Any]) -> list[Any]:
        limit = settings.API_MAX_BATCH_ROWS
        if len(value) > limit:
            raise serializers.ValidationError(
                f"每批最多 {limit} 行，本批 {len(value)} 行：请分批提交。",
                code="too_many_rows",
            )
        return value


class DeathRow(serializers.Serializer[Any]):
    ssn = serializers.CharField(max_length=18)
    name = serializers.CharField(max_length=60)
    date = serializers.DateField(help_text="死亡日期")


class EvidenceRow(DeathRow):
    date = serializers.DateField(help_text="比对日期（有生存证据的日期）")
    source = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.source; DRF's metaclass takes it out of the class
        max_length=100, required=False, help_text="数据来源，如 医保就医"
    )


class DeathBatch(_Envelope):
    rows = DeathRow(many=True, allow_empty=False)


class EvidenceBatch(_Envelope):
    rows = EvidenceRow(many=True, allow_empty=False)


class BatchResult(serializers.Serializer[Any]):
    batch_id = serializers.CharField()
    kind = serializers.CharField()
    dry_run = serializers.BooleanField()
    replayed = serializers.BooleanField(
        help_text="true：该批次此前已处理，返回首次结果"
    )
    rows = serializers.IntegerField()
    changed = serializers.IntegerField(help_text="认证或终止的养老待遇条数")
    skipped = serializers.IntegerField(help_text="已终止或已有更新认证而跳过的条数")
    overpaid = serializers.IntegerField()
    cases = serializers.IntegerField()
