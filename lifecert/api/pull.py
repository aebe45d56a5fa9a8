"""Pulls for payroll: certifications, suspensions, resumptions with back pay and
overpayments since a cursor, in pages, cut to the token's region.

The cursor is the last primary key the caller has seen, wrapped so that
callers treat it as opaque: rows are returned in key order, and a row
inserted later gets a larger key, so inserts never shift a page.
"""

import base64
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from lifecert.certification.models import (
    BackPay,
    Certification,
    Channel,
    Overpayment,
    SuspensionRun,
)
from lifecert.certification.services import OVERDUE_REASON

from .models import Scope
from .views import ApiView, errors_doc

PARAMETERS = [
    OpenApiParameter(
        "cursor",
        str,
        description="上一页返回的 next_cursor；不填则从头开始",
        required=False,
    ),
    OpenApiParameter(
        "limit", int, description="每页条数（1 至上限，默认见设置）", required=False
    ),
]


def encode(kind: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{pk}".encode()).decode().rstrip("=")


def decode(kind: str, cursor: str) -> int:
    """The key after which to read; ValidationError for anything not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, _, pk = base64.urlsafe_b64decode(padded).decode().partition(":")
        if name == kind and pk.isdigit() and len(pk) < 19:
            return int(pk)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ValidationError(
        {"cursor": ["游标无效：请使用上一页返回的 next_cursor，或不填从头开始。"]},
        code="invalid_cursor",
    )


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return int(settings.API_PAGE_SIZE)
    top = int(settings.API_PAGE_MAX)
    if not raw.isdigit() or not 1 <= int(raw) <= top:
        raise ValidationError(
            {"limit": [f"每页条数应为 1 至 {top} 的整数。"]}, code="invalid_limit"
        )
    return int(raw)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _date(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _moment(value: Any) -> str | None:
    # The zone read once per process: get_current_timezone per row is a
    # thread-local lookup, a tenth of a page's time.
    return value.astimezone(_ZONE).isoformat() if value is not None else None


_ZONE = timezone.get_default_timezone()


Row = dict[str, Any]


class PullView(ApiView):
    scope = Scope.PULL_CERTIFICATIONS
    kind = ""
    fields: tuple[str, ...] = ()
    region_field = ""

    def rows(self) -> QuerySet[Any]:
        raise NotImplementedError

    def build(self, values: Row) -> Row:
        raise NotImplementedError

    def get(self, request: Request) -> Response:
        after = decode(
            self.kind, request.query_params.get("cursor") or encode(self.kind, 0)
        )
        limit = _limit(request.query_params.get("limit"))
        rows = self.rows().filter(pk__gt=after).order_by("pk")
        region_id = self.client.staff_region_id
        if region_id is not None:
            rows = rows.filter(**{self.region_field: region_id})
        page = list(rows.values("pk", *self.fields)[: limit + 1])
        more = len(page) > limit
        page = page[:limit]
        last = page[-1]["pk"] if page else after
        self.audit_details = {"after": after, "count": len(page)}
        return Response(
            {
                "results": [self.build(v) for v in page],
                "next_cursor": encode(self.kind, last),
                "has_more": more,
            }
        )


def _page(name: str, item: dict[str, serializers.Field[Any, Any, Any, Any]]) -> Any:
    return inline_serializer(
        name=name,
        fields={
            "results": inline_serializer(name=f"{name}Item", fields=item, many=True),
            "next_cursor": serializers.CharField(help_text="下一次调用的游标"),
            "has_more": serializers.BooleanField(help_text="true：还有下一页"),
        },
    )


def _person_fields() -> dict[str, Any]:
    return {
        "ssn": serializers.CharField(help_text="社会保障号码"),
        "name": serializers.CharField(),
        "region_code": serializers.CharField(),
        "entitlement_id": serializers.UUIDField(allow_null=True),
    }


def pull_schema(name: str, summary: str, item: dict[str, Any]) -> Callable[[Any], Any]:
    return extend_schema(
        operation_id=f"pull_{name}",
        summary=summary,
        parameters=PARAMETERS,
        responses={
            200: _page(name.title(), {**_person_fields(), **item}),
            **errors_doc(400, 401, 403, 429),
        },
    )


PERSON = ("person__ssn", "person__name", "region__code")
ENT_PERSON = (
    "entitlement__person__ssn",
    "entitlement__person__name",
    "entitlement__region__code",
    "entitlement__public_id",
)


def _who(v: Row, prefix: str = "entitlement__") -> Row:
    return {
        "ssn": v[f"{prefix}person__ssn"],
        "name": v[f"{prefix}person__name"],
        "region_code": v[f"{prefix}region__code"],
        "entitlement_id": v[f"{prefix}public_id"],
    }


class CertificationPull(PullView):
    kind, operation, region_field = "cert", "pull_certifications", "region_id"
    fields = (
        *PERSON,
        "entitlement__public_id",
        "public_id",
        "certified_at",
        "channel",
        "unit__number",
    )

    def rows(self) -> QuerySet[Any]:
        # Once per request, in the request's language: not a lazy label per row.
        self.labels = {c.value: str(c.label) for c in Channel}
        return Certification.objects.all()

    def build(self, v: Row) -> Row:
        return {
            "ssn": v["person__ssn"],
            "name": v["person__name"],
            "region_code": v["region__code"],
            "entitlement_id": v["entitlement__public_id"],
            "certification_id": v["public_id"],
            "certified_at": _moment(v["certified_at"]),
            "channel": v["channel"],
            "channel_label": self.labels[v["channel"]],
            "unit_number": v["unit__number"],
        }

    @pull_schema(
        "certifications",
        "拉取认证记录（游标分页）",
        {
            "certification_id": serializers.UUIDField(),
            "certified_at": serializers.DateTimeField(),
            "channel": serializers.ChoiceField(choices=Channel.values),
            "channel_label": serializers.CharField(),
            "unit_number": serializers.CharField(allow_null=True),
        },
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class SuspensionPull(PullView):
    kind, operation = "susp", "pull_suspensions"
    region_field = "entitlement__region_id"
    fields = (*ENT_PERSON, "suspensionrun__public_id", "suspensionrun__run_on")

    def rows(self) -> QuerySet[Any]:
        return SuspensionRun.entitlements.through.objects.all()

    def build(self, v: Row) -> Row:
        return {
            **_who(v),
            "run_id": v["suspensionrun__public_id"],
            "suspended_on": _date(v["suspensionrun__run_on"]),
            "reason": OVERDUE_REASON,
        }

    @pull_schema(
        "suspensions",
        "拉取暂停记录（暂停批次中的每条待遇）",
        {
            "run_id": serializers.UUIDField(),
            "suspended_on": serializers.DateField(),
            "reason": serializers.CharField(),
        },
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class ResumptionPull(PullView):
    kind, operation = "resume", "pull_resumptions"
    region_field = "entitlement__region_id"
    fields = (
        *ENT_PERSON,
        "certification__public_id",
        "suspended_since",
        "created_at",
        "months",
        "amount",
    )

    def rows(self) -> QuerySet[Any]:
        return BackPay.objects.all()

    def build(self, v: Row) -> Row:
        return {
            **_who(v),
            "certification_id": v["certification__public_id"],
            "suspended_since": _date(v["suspended_since"]),
            "resumed_at": _moment(v["created_at"]),
            "back_pay_months": v["months"],
            "back_pay_amount": _money(v["amount"]),
        }

    @pull_schema(
        "resumptions",
        "拉取恢复发放及补发记录",
        {
            "certification_id": serializers.UUIDField(),
            "suspended_since": serializers.DateField(),
            "resumed_at": serializers.DateTimeField(),
            "back_pay_months": serializers.IntegerField(),
            "back_pay_amount": serializers.CharField(
                help_text="补发金额（元），两位小数"
            ),
        },
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class OverpaymentPull(PullView):
    kind, operation = "over", "pull_overpayments"
    region_field = "entitlement__region_id"
    fields = (
        *ENT_PERSON,
        "public_id",
        "death_date",
        "months",
        "amount",
        "responsible",
        "status",
        "created_at",
    )

    def rows(self) -> QuerySet[Any]:
        return Overpayment.objects.all()

    def build(self, v: Row) -> Row:
        return {
            **_who(v),
            "overpayment_id": v["public_id"],
            "death_date": _date(v["death_date"]),
            "months": v["months"],
            "amount": _money(v["amount"]),
            "responsible": v["responsible"],
            "status": v["status"],
            "status_label": str(Overpayment.Status(v["status"]).label),
            "created_at": _moment(v["created_at"]),
        }

    @pull_schema(
        "overpayments",
        "拉取待追回（死亡后多发）记录；状态以拉取时为准",
        {
            "overpayment_id": serializers.UUIDField(),
            "death_date": serializers.DateField(),
            "months": serializers.IntegerField(),
            "amount": serializers.CharField(help_text="金额（元），两位小数"),
            "responsible": serializers.CharField(allow_blank=True),
            "status": serializers.ChoiceField(choices=Overpayment.Status.values),
            "status_label": serializers.CharField(),
            "created_at": serializers.DateTimeField(),
        },
    )
    def get(self, request: Request) -> Response:
        return super().get(request)
