"""Bodies the API cannot take: too large (413) or not JSON (400), answered
in the API's own error format with a precise Chinese message."""

import io

import pytest

from lifecert.certification.models import Certification
from lifecert.core.middleware import request_size_limit

from .helpers import token_for

pytestmark = pytest.mark.django_db
STATUS = "/api/v1/status/"
EVIDENCE = "/api/v1/evidence/"


def _post(client, token, body, content_type="application/json"):
    return client.post(
        STATUS,
        body,
        content_type=content_type,
        headers={"Authorization": f"Bearer {token}"},
    )


def _only_error(response):
    (item,) = response.json()["errors"]
    assert set(item) == {"field", "row", "code", "message"}
    return item


class _Unreadable(io.RawIOBase):
    def read(self, size=-1):
        raise AssertionError("the body was read")


def test_the_site_middleware_leaves_api_bodies_to_the_api():
    assert request_size_limit(STATUS) is None


def test_a_declared_40_mb_body_gets_413_in_the_api_format_unread(client, personas):
    response = client.post(
        EVIDENCE,
        b"{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_for(personas.region)}"},
        CONTENT_LENGTH=str(40 * 1024 * 1024),
        **{"wsgi.input": _Unreadable()},
    )
    assert response.status_code == 413
    assert _only_error(response) == {
        "field": None,
        "row": None,
        "code": "request_too_large",
        "message": "请求体 41943040 字节，超过上限 2097152 字节：请分批提交。",
    }


def test_a_real_body_over_djangos_memory_limit_gets_413_with_that_limit(
    client, personas, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"ssn": "' + "1" * 2000 + '"}'
    item = _only_error(_post(client, token_for(personas.region), body))
    assert item["code"] == "request_too_large"
    assert "超过上限 1000 字节" in item["message"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    response = _post(client, token_for(personas.region), body)
    assert response.status_code == 400  # read, and refused as a wrong number


def test_a_body_at_the_limit_is_read(client, personas, settings):
    settings.API_MAX_REQUEST_BYTES = 200
    body = '{"ssn": "' + personas.pensioner.ssn + '"}'
    body += " " * (200 - len(body.encode()))
    response = _post(client, token_for(personas.region), body)
    assert response.status_code == 200
    assert Certification.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "where", "what"),
    [
        (b"{bad", "第 1 行第 2 列", "字段名应使用双引号"),
        (b'{\n  "ssn": }', "第 2 行第 10 列", "此处应为一个值"),
        (b'{"ssn": "1" "x": 1}', "第 1 行第 13 列", "缺少逗号"),
        (b'{"ssn": "1"} x', "第 1 行第 14 列", "多余内容"),
        (b'{"ssn": "1', "第 1 行第 9 列", "字符串缺少结尾的引号"),
        (b'{"ssn" 1}', "第 1 行第 8 列", "缺少冒号"),
        (b'{"ssn": "a\\qb"}', "第 1 行第 11 列", "无效的转义字符"),
        (b'{"ssn": "a\x01"}', "第 1 行第 11 列", "控制字符"),
        (b'["\\u12x"]', "第 1 行第 4 列", "格式有误"),
    ],
)
def test_malformed_json_says_where_and_what_in_chinese(
    client, personas, body, where, what
):
    response = _post(client, token_for(personas.region), body)
    assert response.status_code == 400
    item = _only_error(response)
    assert item["code"] == "parse_error"
    assert where in item["message"]
    assert what in item["message"]
    assert item["message"].startswith("请求体不是有效的 JSON")


def test_a_body_not_in_utf8_says_which_byte(client, personas):
    response = _post(client, token_for(personas.region), b'{"ssn": "\xff"}')
    assert response.status_code == 400
    item = _only_error(response)
    assert item["code"] == "parse_error"
    assert item["message"].startswith("请求体第 10 个字节不是 UTF-8 编码")


def test_nan_is_not_json(client, personas):
    response = _post(client, token_for(personas.region), b'{"ssn": NaN}')
    item = _only_error(response)
    assert item["code"] == "parse_error"
    assert "NaN" in item["message"]


@pytest.mark.parametrize("url", [STATUS, EVIDENCE])
def test_json_nested_past_the_stack_is_a_parse_error_not_a_500(client, personas, url):
    """Two kilobytes of brackets made json.loads raise RecursionError (a 500)."""
    deep = "[" * 5_000 + "]" * 5_000
    response = client.post(
        url,
        '{"batch_id": "deep", "ssn": "x", "rows": ' + deep + "}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_for(personas.region)}"},
    )
    assert response.status_code == 400
    item = _only_error(response)
    assert item["code"] == "parse_error"
    assert item["message"].startswith("请求体的 JSON 嵌套层数过多")


def test_a_null_character_is_named_as_such(client, personas):
    """Django's catalogue called it an empty string (不允许是用空字符串)."""
    response = _post(client, token_for(personas.region), '{"ssn": "4306\\u0000"}')
    assert response.status_code == 400
    item = _only_error(response)
    assert item["code"] == "null_characters_not_allowed"
    assert item["field"] == "ssn"
    assert item["message"].startswith("不能含有空字符")


def test_another_content_type_is_refused_in_chinese(client, personas):
    response = _post(client, token_for(personas.region), "x", "text/plain")
    assert response.status_code == 415
    assert "不支持" in _only_error(response)["message"]
