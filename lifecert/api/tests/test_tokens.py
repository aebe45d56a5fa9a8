"""System tokens: who they let in, to what, where; every call audited."""

import pytest

from lifecert.api.models import ApiToken, Scope
from lifecert.api.services import find_token, revoke_token, rotate_token
from lifecert.core.models import AuditEvent

from .helpers import call, token_for

pytestmark = pytest.mark.django_db
STATUS = "/api/v1/status/"


def _codes(response):
    return [e["code"] for e in response.json()["errors"]]


def test_without_a_token_the_api_answers_401_with_the_way_to_authenticate(client):
    response = call(client, STATUS, None, {"ssn": "43060319920301203X"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert _codes(response) == ["not_authenticated"]
    assert not AuditEvent.objects.filter(action="api.call").exists()


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Basic abc", "Bearer lct_x_y", "Bearer nope", "Bearer lct_a_b_c d"],
)
def test_a_malformed_or_unknown_token_is_refused(client, personas, header):
    token_for(personas.region)
    response = client.post(
        STATUS,
        {"ssn": personas.pensioner.ssn},
        content_type="application/json",
        headers={"Authorization": header},
    )
    assert response.status_code == 401
    assert _codes(response)[0] in {"bad_authorization", "invalid_token"}


def test_a_token_with_a_wrong_secret_is_refused_and_audited(client, personas):
    plain = token_for(personas.region)
    wrong = plain[:-2] + ("zz" if not plain.endswith("zz") else "yy")
    response = call(client, STATUS, wrong, {"ssn": personas.pensioner.ssn})
    assert response.status_code == 401
    event = AuditEvent.objects.get(action="api.refused")
    assert event.after["reason"] == "wrong_secret"
    assert event.region_id == personas.region.pk
    assert find_token(plain) is not None
    assert find_token("lct_" + "é") is None


def test_a_non_ascii_token_is_refused(client, personas):
    response = client.post(
        STATUS,
        {"ssn": personas.pensioner.ssn},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer lct_\u00e9_x".encode().decode("latin-1"),
    )
    assert response.status_code == 401


def test_a_token_without_the_scope_gets_403(client, personas):
    plain = token_for(personas.region, scopes=[Scope.PUSH_DEATHS])
    response = call(client, STATUS, plain, {"ssn": personas.pensioner.ssn})
    assert response.status_code == 403
    assert _codes(response) == ["scope_missing"]
    assert "没有调用此接口的权限" in response.json()["errors"][0]["message"]
    event = AuditEvent.objects.get(action="api.call")
    assert event.after["status"] == 403
    assert event.actor_label == "接口:医保比对系统"


def test_each_scope_opens_its_own_endpoints_only(client, personas):
    plain = token_for(personas.region, scopes=[Scope.PULL_CERTIFICATIONS])
    assert call(client, "/api/v1/certifications/", plain).status_code == 200
    assert call(client, "/api/v1/overpayments/", plain).status_code == 200
    batch = {"batch_id": "b1", "rows": [{"ssn": "x", "name": "y", "date": "z"}]}
    assert call(client, "/api/v1/evidence/", plain, batch).status_code == 403
    assert call(client, "/api/v1/deaths/", plain, batch).status_code == 403


def test_a_regional_token_does_not_find_another_regions_pensioner(client, personas):
    plain = token_for(personas.other_region)
    response = call(client, STATUS, plain, {"ssn": personas.pensioner.ssn})
    assert response.status_code == 404
    assert _codes(response) == ["not_found"]
    province = token_for(None)
    assert (
        call(client, STATUS, province, {"ssn": personas.pensioner.ssn}).status_code
        == 200
    )


def test_a_revoked_token_stops_working_and_cannot_be_revoked_twice(client, personas):
    plain = token_for(personas.region)
    token = find_token(plain)
    revoke_token(token=token, acting_user=personas.staff)
    assert (
        call(client, STATUS, plain, {"ssn": personas.pensioner.ssn}).status_code == 401
    )
    failure = AuditEvent.objects.get(action="api.refused")
    assert failure.after["reason"] == "revoked"
    with pytest.raises(ValueError, match="已停用"):
        revoke_token(token=token, acting_user=personas.staff)
    with pytest.raises(ValueError, match="已停用"):
        rotate_token(token=token, acting_user=personas.staff)
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


def test_rotation_replaces_the_secret_and_keeps_the_token(client, personas):
    old = token_for(personas.region)
    token = find_token(old)
    rotated, new = rotate_token(token=token, acting_user=personas.staff)
    assert rotated.pk == token.pk
    assert new != old
    assert call(client, STATUS, old, {"ssn": personas.pensioner.ssn}).status_code == 401
    assert call(client, STATUS, new, {"ssn": personas.pensioner.ssn}).status_code == 200
    event = AuditEvent.objects.get(action="api_token.rotate")
    assert event.region_id == personas.region.pk
    assert event.before["key"] != event.after["key"]


def test_only_the_hash_of_the_secret_is_kept(personas):
    plain = token_for(personas.region)
    token = ApiToken.objects.get()
    assert plain.split("_", 2)[2] not in token.secret_hash
    assert plain.startswith(f"lct_{token.key}_")
    assert str(token) == "接口令牌 医保比对系统"
    assert "查询认证状态" in token.scope_labels()


def test_issuing_refuses_unknown_or_no_scopes(personas):
    with pytest.raises(ValueError, match="unknown"):
        token_for(personas.region, scopes=["everything"])


def test_every_call_is_audited_with_its_operation_and_marks_the_token(client, personas):
    plain = token_for(personas.region)
    call(client, STATUS, plain, {"ssn": personas.pensioner.ssn})
    call(client, "/api/v1/certifications/", plain)
    events = list(AuditEvent.objects.filter(action="api.call").order_by("id"))
    assert [e.after["operation"] for e in events] == ["status", "pull_certifications"]
    assert events[0].after["ssn"] == "4306**********203X"
    assert all(e.region_id == personas.region.pk for e in events)
    assert ApiToken.objects.get().last_used_at is not None
