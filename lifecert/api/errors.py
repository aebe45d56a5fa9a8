"""Every error the API returns: ``{"errors": [{field, row, code, message}]}``."""

import math
from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException, Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "提交的内容过大，请分批提交。"
    default_code = "request_too_large"


class RefusedTooOften(Throttled):
    """429 for calls without a valid token past their rate (``throttling``):
    one Chinese sentence with the wait (DRF's own would add a second)."""

    def __init__(self, wait: float | None) -> None:
        seconds = max(1, math.ceil(wait or 1))
        APIException.__init__(
            self,
            f"未通过令牌验证的调用过多，已暂停受理：请核对令牌，{seconds} 秒后再试。",
            "throttled",
        )
        self.wait = seconds


class BatchConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "该批次号已提交过不同的内容：请换一个批次号。"
    default_code = "batch_conflict"


class RowErrors(APIException):
    """Rows of a batch that break a rule: nothing was written."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "批次中有错误的行，整批未处理：请修改后重新提交。"
    default_code = "invalid_rows"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__()
        self.errors = errors


class NotFound(APIException):
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "在该令牌可查询的参保地没有此人的养老待遇。"
    default_code = "not_found"


def error(
    field: str | None, code: str, message: str, row: int | None = None
) -> dict[str, Any]:
    return {"field": field, "row": row, "code": code, "message": message}


# Django's zh_Hans catalogue says "不允许是用空字符串" (no empty string) for
# "Null characters are not allowed": a caller would look for an empty field.
_MESSAGES = {
    "null_characters_not_allowed": "不能含有空字符（\\u0000），请删除后重新提交。",
}


def _flatten(detail: Any, path: list[str], row: int | None) -> list[dict[str, Any]]:
    if isinstance(detail, dict) and set(detail) == {"message", "code"}:
        code = detail["code"]
        message: str = _MESSAGES.get(code) or detail["message"]
        return [error(".".join(path) or None, code, message, row)]
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            sub = [] if key == "non_field_errors" else [*path, str(key)]
            out += _flatten(value, sub, row)
        return out
    out = []
    for index, value in enumerate(detail):
        if isinstance(value, dict) and set(value) != {"message", "code"} and path:
            # A list of objects: the rows of a batch, counted from 1.
            out += _flatten(value, [], index + 1)
        else:
            out += _flatten(value, path, row)
    return out


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, APIException):
        return response
    if isinstance(exc, RowErrors):
        errors = exc.errors
    elif isinstance(exc, ValidationError):
        errors = _flatten(exc.get_full_details(), [], None)
    else:
        errors = [error(None, str(exc.get_codes()), str(exc.detail))]
    response.data = {"errors": errors}
    return response
