"""The API's one parser: DRF's JSON parser with precise Chinese errors."""

import json
from collections.abc import Mapping
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# What the json module's messages mean, in the words the caller reads.
_JSON_PROBLEMS = (
    ("Expecting value", "此处应为一个值"),
    ("Expecting property name", "字段名应使用双引号"),
    ("Expecting ',' delimiter", "缺少逗号"),
    ("Expecting ':' delimiter", "缺少冒号"),
    ("Unterminated string", "字符串缺少结尾的引号"),
    ("Extra data", "JSON 结束后还有多余内容"),
    ("Invalid control character", "字符串中有未转义的控制字符"),
    ("Invalid \\escape", "无效的转义字符"),
)


def _problem(msg: str) -> str:
    for english, chinese in _JSON_PROBLEMS:
        if msg.startswith(english):
            return chinese
    return "格式有误"


def _no_constant(name: str) -> None:
    raise ValueError(name)


class JSONParser(parsers.JSONParser):
    """A body that is not JSON, or not UTF-8, says where and what to fix."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        # The body's size was checked before (ApiView.initial).
        raw: bytes = stream.read()
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"请求体第 {exc.start + 1} 个字节不是 UTF-8 编码："
                "请以 UTF-8 编码提交 JSON。",
                code="parse_error",
            ) from None
        except json.JSONDecodeError as exc:
            raise ParseError(
                f"请求体不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列"
                f"{_problem(exc.msg)}。请修改后重新提交。",
                code="parse_error",
            ) from None
        except ValueError as exc:
            raise ParseError(
                f"请求体含有 JSON 不允许的数值 {exc}：请改为数字或字符串。",
                code="parse_error",
            ) from None
        except RecursionError:
            # The json module recurses once per level: a few kilobytes of
            # brackets exhaust Python's stack (it was a 500).
            raise ParseError(
                "请求体的 JSON 嵌套层数过多：请按接口文档的格式提交。",
                code="parse_error",
            ) from None
