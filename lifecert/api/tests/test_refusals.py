"""Calls without a valid token: each one audited (接口调用被拒绝), never the
secret; past the refused-call rates 429 and no audit row."""

import pytest
from django.test import Client

from lifecert.api.services import find_token, revoke_token
from lifecert.core.models import AuditEvent

from .helpers import call, token_for

pytestmark = pytest.mark.django_db
STATUS = "/api/v1/status/"


def _post(client, header, **extra):
    headers = {"Authorization": header} if header else {}
    return client.post(
        STATUS, {"ssn": "1"}, content_type="application/json", headers=headers, **extra
    )


def _refused():
    return list(AuditEvent.objects.filter(action="api.refused").order_by("id"))


def test_a_call_without_a_token_is_audited_with_path_method_status_and_address(
    client,
):
    response = _post(client, None, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 401
    (event,) = _refused()
    assert event.after == {
        "reason": "missing",
        "key": "",
        "path": STATUS,
        "method": "POST",
        "status": 401,
    }
    assert event.ip == "203.0.113.9"
    assert event.actor_label == "anonymous"
    assert event.region_id is None  # province staff read it


def test_a_pull_without_a_token_is_audited_as_a_get(client):
    assert call(client, "/api/v1/certifications/", None).status_code == 401
    (event,) = _refused()
    assert (event.after["method"], event.after["path"]) == (
        "GET",
        "/api/v1/certifications/",
    )


@pytest.mark.parametrize(
    ("header", "reason", "key"),
    [
        ("Basic abc", "malformed", ""),
        ("Bearer", "malformed", ""),
        ("Bearer nope", "malformed", ""),
        ("Bearer lct_0123456789abcdef0123_secret", "unknown_key", "0123456789abcdef"),
    ],
)
def test_a_malformed_or_unknown_token_is_audited_with_its_public_part_only(
    client, header, reason, key
):
    assert _post(client, header).status_code == 401
    (event,) = _refused()
    assert (event.after["reason"], event.after["key"]) == (reason, key)
    assert "secret" not in str(event.after)


def test_a_wrong_secret_of_a_real_token_is_audited_in_its_region_without_it(
    client, personas
):
    plain = token_for(personas.region)
    token = find_token(plain)
    wrong = f"lct_{token.key}_not-the-secret"
    assert _post(client, f"Bearer {wrong}").status_code == 401
    (event,) = _refused()
    assert event.after["reason"] == "wrong_secret"
    assert event.after["key"] == token.key
    assert event.target_id == str(token.public_id)
    assert event.region_id == personas.region.pk
    assert "not-the-secret" not in str(event.after)
    assert plain.split("_", 2)[2] not in str(event.after)


def test_a_revoked_token_is_audited_once_per_call(client, personas):
    plain = token_for(personas.region)
    revoke_token(token=find_token(plain), acting_user=personas.staff)
    for _ in range(2):
        assert _post(client, f"Bearer {plain}").status_code == 401
    assert [e.after["reason"] for e in _refused()] == ["revoked", "revoked"]
    assert not AuditEvent.objects.filter(action="api.call").exists()


def test_a_call_refused_before_its_token_is_read_says_why(client, personas):
    # Content negotiation comes before authentication in DRF.
    plain = token_for(personas.region)
    response = _post(client, f"Bearer {plain}", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    (event,) = _refused()
    assert (event.after["reason"], event.after["status"]) == ("not_acceptable", 406)


def test_a_valid_call_is_not_a_refusal(client, personas):
    plain = token_for(personas.region)
    response = call(client, STATUS, plain, {"ssn": personas.pensioner.ssn})
    assert response.status_code == 200
    assert _refused() == []
    assert AuditEvent.objects.filter(action="api.call").count() == 1


def test_a_valid_token_outside_its_region_or_scope_is_an_audited_call(client, personas):
    other = token_for(personas.other_region)
    assert call(client, STATUS, other, {"ssn": personas.pensioner.ssn}).status_code == (
        404
    )
    no_scope = token_for(personas.region, scopes=["push_deaths"])
    assert call(client, STATUS, no_scope, {"ssn": "1"}).status_code == 403
    calls = AuditEvent.objects.filter(action="api.call").order_by("id")
    assert [e.after["status"] for e in calls] == [404, 403]
    assert [e.region_id for e in calls] == [
        personas.other_region.pk,
        personas.region.pk,
    ]
    assert _refused() == []


# ---------------------------------------------------------------- the bound


def test_refused_calls_from_one_address_get_429_past_the_rate_and_no_row(
    client, personas, settings
):
    settings.API_REFUSED_RATE = "3/hour"
    statuses = [_post(client, "Bearer lct_x_y").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    assert len(_refused()) == 3
    throttled = _post(client, "Bearer lct_x_y")
    (item,) = throttled.json()["errors"]
    assert item["code"] == "throttled"
    wait = int(throttled["Retry-After"])
    assert 3500 < wait <= 3600
    assert item["message"] == (
        f"未通过令牌验证的调用过多，已暂停受理：请核对令牌，{wait} 秒后再试。"
    )
    # A valid token from the same address is not held up ...
    plain = token_for(personas.region)
    ok = call(client, STATUS, plain, {"ssn": personas.pensioner.ssn})
    assert ok.status_code == 200
    # ... nor another address's refused calls.
    other = _post(Client(), None, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 401
    assert len(_refused()) == 4


def test_refused_calls_from_all_addresses_together_are_bounded_too(client, settings):
    settings.API_REFUSED_RATE_ALL = "2/hour"
    statuses = [
        _post(client, None, REMOTE_ADDR=f"198.51.100.{n}").status_code
        for n in range(1, 5)
    ]
    assert statuses == [401, 401, 429, 429]
    assert len(_refused()) == 2
