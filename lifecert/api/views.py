"""The integration API (/api/v1/): status lookup and pushed evidence.

Every view is an ``ApiView``: system token, one scope, the request size
checked before the body is read, and one audit row per call: 接口调用 with a
valid token, 接口调用被拒绝 without one (bounded by ``throttling``).
"""

import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import APIException, NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lifecert.certification import cycle
from lifecert.certification.evidence import EvidenceRejected, Kind, apply_rows
from lifecert.core.audit import client_ip
from lifecert.core.masking import mask_id
from lifecert.registry.access import staff_regions
from lifecert.registry.models import Entitlement

from . import serializers as s
from .authentication import HasScope, TokenRefused
from .errors import (
    BatchConflict,
    NotFound,
    RefusedTooOften,
    RequestTooLarge,
    RowErrors,
    error,
)
from .models import ApiBatch, ApiToken, Scope
from .rows import digest, parse_rows
from .services import ApiClient, TokenCheck, record_call, record_refusal
from .throttling import REFUSED_THROTTLES


def max_request_bytes() -> int:
    """The largest body the API reads: its own limit, and never above Django's
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (the site's bound on a body in memory)."""
    limit = int(settings.API_MAX_REQUEST_BYTES)
    django_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return limit if django_limit is None else min(limit, int(django_limit))


def _refusal(exc: Exception) -> TokenCheck:
    """Why a call ended before a valid token was established: the token's
    check, no token at all, or (content negotiation runs first) the refusal
    that came before the token was read."""
    if isinstance(exc, TokenRefused):
        return exc.check
    if isinstance(exc, NotAuthenticated):
        return TokenCheck(None, "missing")
    code = exc.get_codes() if isinstance(exc, APIException) else "error"
    return TokenCheck(None, str(code))


def errors_doc(*codes: int) -> dict[int, OpenApiResponse]:
    words = {
        400: "请求有误（字段、行号、代码和中文说明）",
        401: "没有令牌，或令牌无效、已停用",
        403: "令牌没有此权限",
        404: "在该令牌的参保地找不到",
        409: "批次号已用于不同的内容",
        413: "请求过大",
        429: "未通过令牌验证的调用过多，稍后再试",
    }
    return {c: OpenApiResponse(s.ErrorResponse, description=words[c]) for c in codes}


class ApiView(APIView):
    permission_classes = [HasScope]
    scope: Scope
    operation = ""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.token: ApiToken | None = None
        self.audit_details: dict[str, Any] = {}
        super().initial(request, *args, **kwargs)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = max_request_bytes()
        if length > limit:
            raise RequestTooLarge(
                f"请求体 {length} 字节，超过上限 {limit} 字节：请分批提交。"
            )

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)
        if isinstance(request.auth, ApiToken):
            self.token = request.auth

    def handle_exception(self, exc: Exception) -> Response:
        """A call without a valid token: counted (``throttling``); past the
        rates 429 and no audit row, else audited in ``finalize_response``."""
        if getattr(self, "token", None) is None:
            self.refusal: TokenCheck | None = _refusal(exc)
            for throttle_class in REFUSED_THROTTLES:
                throttle = throttle_class()
                if not throttle.allow_request(self.request, self):
                    self.refusal = None
                    exc = RefusedTooOften(throttle.wait())
                    break
        response: Response = super().handle_exception(exc)
        return response

    def finalize_response(
        self, request: Request, response: Any, *args: Any, **kwargs: Any
    ) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        token = getattr(self, "token", None)
        ip = client_ip(request)
        if token is not None:
            record_call(
                token=token,
                operation=self.operation,
                status=response.status_code,
                ip=ip,
                details=self.audit_details,
            )
        elif (refusal := getattr(self, "refusal", None)) is not None:
            record_refusal(
                check=refusal,
                path=request.path,
                method=request.method or "",
                status=response.status_code,
                ip=ip,
            )
        return response

    @property
    def client(self) -> ApiClient:
        assert self.token is not None  # noqa: S101 HasScope let only a token in
        return ApiClient(self.token)


def _certification_status(due: datetime.date | None, today: datetime.date) -> str:
    if due is None:
        return "terminated"
    if due < today:
        return "overdue"
    if (due - today).days <= cycle.DUE_SOON_DAYS:
        return "due_soon"
    return "current"


def _entitlement_status(e: Entitlement, today: datetime.date) -> dict[str, Any]:
    due = cycle.due_date_of(e)
    status = _certification_status(due, today)
    return {
        "entitlement_id": e.public_id,
        "region_code": e.region.code,
        "region_name": e.region.name,
        "unit_number": e.unit.number if e.unit else None,
        "pension_status": e.status,
        "pension_status_label": e.get_status_display(),
        "status_reason": e.status_reason,
        "status_since": e.status_since,
        "last_certified_at": e.last_certified_at,
        "due_date": due,
        "certification_status": status,
        "certification_status_label": s.CERT_STATUS[status],
    }


class StatusView(ApiView):
    scope = Scope.READ_STATUS
    operation = "status"

    @extend_schema(
        operation_id="status_lookup",
        summary="按社会保障号码查询认证状态、截止日和待遇状态",
        request=s.StatusRequest,
        responses={200: s.StatusResponse, **errors_doc(400, 401, 403, 404, 413, 429)},
    )
    def post(self, request: Request) -> Response:
        form = s.StatusRequest(data=request.data)
        form.is_valid(raise_exception=True)
        ssn = form.validated_data["ssn"]
        self.audit_details = {"ssn": mask_id(ssn)}
        entitlements = list(
            Entitlement.objects.filter(
                person__ssn=ssn, region__in=staff_regions(self.client)
            )
            .select_related("person", "region", "unit")
            .order_by("region__code")
        )
        if not entitlements:
            raise NotFound
        person = entitlements[0].person
        today = timezone.localdate()
        body = {
            "ssn": mask_id(person.ssn),
            "name": person.name,
            "death_date": person.death_date,
            "entitlements": [_entitlement_status(e, today) for e in entitlements],
        }
        return Response(s.StatusResponse(body).data)


class PushView(ApiView):
    kind: Kind

    def post(self, request: Request) -> Response:
        envelope = s.Batch(data=request.data)
        envelope.is_valid(raise_exception=True)
        batch_id: str = envelope.validated_data["batch_id"]
        dry_run: bool = envelope.validated_data["dry_run"]
        raw_rows: list[Any] = envelope.validated_data["rows"]
        self.audit_details = {
            "batch_id": batch_id,
            "rows": len(raw_rows),
            "dry_run": dry_run,
        }
        rows, problems = parse_rows(self.kind, raw_rows)
        if problems:
            raise RowErrors(problems)
        token = self.client.token
        content = digest(raw_rows)
        stored = self._stored(token, batch_id, content)
        if stored is not None:
            return Response(stored)
        regions = list(staff_regions(self.client))

        def apply(dry_run: bool) -> dict[str, Any]:
            result = apply_rows(
                self.kind,
                rows,
                acting_user=self.client,
                regions=regions,
                ip=client_ip(request),
                dry_run=dry_run,
                evidence={"system": token.system_name, "batch_id": batch_id},
                audit_extra={"via": "api", "batch_id": batch_id},
            )
            return self._body(batch_id, result.as_dict())

        try:
            if dry_run:
                return Response(apply(dry_run=True))
            with transaction.atomic():
                body = apply(dry_run=False)
                ApiBatch.objects.create(
                    token=token,
                    kind=self.kind,
                    batch_id=batch_id,
                    digest=content,
                    result=body,
                )
        except EvidenceRejected as exc:
            raise RowErrors(
                [error(e.field, e.code, e.message, e.row) for e in exc.errors]
            ) from None
        except IntegrityError:
            # The same batch id won a race with us: answer as a replay.
            stored = self._stored(token, batch_id, content)
            if stored is None:  # pragma: no cover - the constraint named it
                raise
            return Response(stored)
        return Response(body)

    def _body(self, batch_id: str, result: dict[str, Any]) -> dict[str, Any]:
        return {
            "batch_id": batch_id,
            "kind": self.kind.value,
            "replayed": False,
            **result,
        }

    def _stored(
        self, token: ApiToken, batch_id: str, content: str
    ) -> dict[str, Any] | None:
        batch = ApiBatch.objects.filter(
            token=token, kind=self.kind, batch_id=batch_id
        ).first()
        if batch is None:
            return None
        if batch.digest != content:
            raise BatchConflict
        self.audit_details["replayed"] = True
        return {**batch.result, "replayed": True}


class EvidencePushView(PushView):
    scope = Scope.PUSH_EVIDENCE
    operation = "push_evidence"
    kind = Kind.COMPARISON

    @extend_schema(
        operation_id="push_evidence",
        summary="推送数据比对结果（静默认证），按批次号幂等",
        request=s.EvidenceBatch,
        responses={200: s.BatchResult, **errors_doc(400, 401, 403, 409, 413, 429)},
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class DeathPushView(PushView):
    scope = Scope.PUSH_DEATHS
    operation = "push_deaths"
    kind = Kind.DEATHS

    @extend_schema(
        operation_id="push_deaths",
        summary="推送死亡名单（终止待遇、登记待追回），按批次号幂等",
        request=s.DeathBatch,
        responses={200: s.BatchResult, **errors_doc(400, 401, 403, 409, 413, 429)},
    )
    def post(self, request: Request) -> Response:
        return super().post(request)
