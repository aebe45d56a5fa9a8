"""Pushed batches: the Excel import's rules, row errors, preview, idempotency."""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from lifecert.api.models import ApiBatch, Scope
from lifecert.certification.models import Certification, Channel, Overpayment
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import make_entitlement, make_person
from lifecert.registry.models import Entitlement

from .helpers import call, token_for

pytestmark = pytest.mark.django_db
EVIDENCE = "/api/v1/evidence/"
DEATHS = "/api/v1/deaths/"


def _yesterday() -> str:
    return (timezone.localdate() - datetime.timedelta(days=1)).isoformat()


def _batch(personas, batch_id="b-1", **extra):
    row = {
        "ssn": personas.pensioner.ssn,
        "name": "杨书维",
        "date": _yesterday(),
        "source": "医保就医",
    }
    return {"batch_id": batch_id, "rows": [row], **extra}


def test_evidence_certifies_silently_with_its_source_and_system(client, personas):
    plain = token_for(personas.region, scopes=[Scope.PUSH_EVIDENCE])
    response = call(client, EVIDENCE, plain, _batch(personas))
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "batch_id": "b-1",
        "kind": "comparison",
        "replayed": False,
        "dry_run": False,
        "rows": 1,
        "changed": 1,
        "skipped": 0,
        "overpaid": 0,
        "cases": 0,
    }
    certification = Certification.objects.get()
    assert certification.channel == Channel.DATA
    assert certification.operator is None
    assert certification.evidence == {
        "source": "医保就医",
        "system": "医保比对系统",
        "batch_id": "b-1",
    }
    event = AuditEvent.objects.get(action="import.comparison")
    assert event.after["via"] == "api"
    assert event.actor_label == "接口:医保比对系统"


def test_the_same_batch_twice_changes_nothing_and_returns_the_first_result(
    client, personas
):
    plain = token_for(personas.region)
    first = call(client, EVIDENCE, plain, _batch(personas)).json()
    # Same content, other key order and spacing: the same batch.
    again = {
        "rows": [dict(reversed(_batch(personas)["rows"][0].items()))],
        "batch_id": "b-1",
    }
    second = call(client, EVIDENCE, plain, again)
    assert second.status_code == 200
    assert second.json() == {**first, "replayed": True}
    assert Certification.objects.count() == 1
    assert ApiBatch.objects.count() == 1
    assert AuditEvent.objects.filter(action="import.comparison").count() == 1
    replay = AuditEvent.objects.filter(action="api.call").order_by("-id").first()
    assert replay.after["replayed"] is True


def test_the_same_batch_id_with_other_rows_is_a_conflict(client, personas):
    plain = token_for(personas.region)
    call(client, EVIDENCE, plain, _batch(personas))
    changed = _batch(personas)
    changed["rows"][0]["source"] = "交通出行"
    response = call(client, EVIDENCE, plain, changed)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "batch_conflict"
    assert Certification.objects.count() == 1


def test_batch_ids_belong_to_the_kind_and_the_token(client, personas):
    plain = token_for(personas.region)
    call(client, EVIDENCE, plain, _batch(personas))
    other = token_for(personas.region, name="交通出行系统")
    body = _batch(personas)
    body["rows"][0]["date"] = timezone.localdate().isoformat()
    assert call(client, EVIDENCE, other, body).json()["replayed"] is False


def test_a_dry_run_previews_the_counts_and_writes_nothing(client, personas):
    plain = token_for(personas.region)
    response = call(client, EVIDENCE, plain, _batch(personas, dry_run=True))
    assert response.status_code == 200
    assert response.json()["changed"] == 1
    assert response.json()["dry_run"] is True
    assert Certification.objects.count() == 0
    assert not ApiBatch.objects.exists()
    assert not AuditEvent.objects.filter(action="import.comparison").exists()
    # The preview does not use up the batch id.
    assert call(client, EVIDENCE, plain, _batch(personas)).json()["changed"] == 1


def test_bad_rows_are_reported_by_row_field_and_code_and_nothing_is_written(
    client, personas
):
    other = make_entitlement(person=make_person(name="孙建国"), region=personas.region)
    rows = [
        {"ssn": other.person.ssn, "name": "孙建国", "date": _yesterday()},
        {"ssn": personas.pensioner.ssn, "name": "杨树维", "date": "2099-01-01"},
        {"ssn": "440106195505150011", "name": "无此人", "date": "2026-13-01"},
    ]
    response = call(
        client, DEATHS, token_for(personas.region), {"batch_id": "d1", "rows": rows}
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["row"], e["field"], e["code"]) for e in errors] == [
        (2, "name", "name_mismatch"),
        (2, "date", "future_date"),
        (3, "ssn", "not_found"),
        (3, "date", "invalid_date"),
    ]
    assert errors[0]["message"] == "姓名“杨树维”与登记的姓名不一致"
    assert "死亡日期" in errors[3]["message"]
    other.refresh_from_db()
    assert other.status == Entitlement.Status.NORMAL
    assert not ApiBatch.objects.exists()


def test_shape_errors_name_the_row_and_field(client, personas):
    rows = [
        {"ssn": 430603, "name": "杨书维", "date": _yesterday()},
        {"ssn": personas.pensioner.ssn, "name": "", "date": _yesterday()},
        {"ssn": "4306\x0003", "name": "杨书维", "date": _yesterday()},
        {"ssn": personas.pensioner.ssn, "name": "杨" * 61, "date": None},
        {
            "ssn": personas.pensioner.ssn,
            "name": "杨书维",
            "date": "2026-1-1",
            "source": "x" * 101,
        },
    ]
    response = call(
        client, EVIDENCE, token_for(personas.region), {"batch_id": "e1", "rows": rows}
    )
    assert response.status_code == 400
    assert [(e["row"], e["field"], e["code"]) for e in response.json()["errors"]] == [
        (1, "ssn", "invalid_type"),
        (2, "name", "required"),
        (3, "ssn", "invalid_characters"),
        (4, "name", "too_long"),
        (4, "date", "required"),
        (5, "source", "too_long"),
    ]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"rows": [{}]}, "batch_id", "required"),
        ({"batch_id": "有空格 的号", "rows": [{}]}, "batch_id", "invalid_batch_id"),
        ({"batch_id": "b", "rows": []}, "rows", "empty"),
        ({"batch_id": "b", "rows": "x"}, "rows", "not_a_list"),
        ({"batch_id": "b", "rows": ["x"]}, "rows.0", "not_a_dict"),
        ({"batch_id": "b", "rows": [{}], "dry_run": "maybe"}, "dry_run", "invalid"),
    ],
)
def test_envelope_errors_are_structured(client, personas, body, field, code):
    response = call(client, EVIDENCE, token_for(personas.region), body)
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        (field, code)
    ]


@override_settings(API_MAX_BATCH_ROWS=2)
def test_a_batch_over_the_row_limit_is_refused(client, personas):
    body = _batch(personas)
    body["rows"] *= 3
    response = call(client, EVIDENCE, token_for(personas.region), body)
    assert response.status_code == 400
    (item,) = response.json()["errors"]
    assert (item["field"], item["code"]) == ("rows", "too_many_rows")
    assert "每批最多 2 行" in item["message"]


@override_settings(API_MAX_REQUEST_BYTES=100)
def test_a_request_over_the_size_limit_is_refused_before_it_is_read(client, personas):
    response = call(client, EVIDENCE, token_for(personas.region), _batch(personas))
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "request_too_large"
    assert Certification.objects.count() == 0


def test_a_body_far_over_the_limit_gets_the_apis_error_too(client, personas):
    body = _batch(personas)
    body["rows"][0]["source"] = "x" * (3 * 1024 * 1024)
    response = call(client, EVIDENCE, token_for(personas.region), body)
    assert response.status_code == 413
    (item,) = response.json()["errors"]
    assert item["code"] == "request_too_large"
    assert "超过上限 2097152 字节" in item["message"]


def test_deaths_terminate_and_record_the_overpayment(client, personas):
    died = timezone.localdate().replace(day=1) - datetime.timedelta(days=70)
    body = {
        "batch_id": "d-7",
        "rows": [
            {"ssn": personas.pensioner.ssn, "name": "杨书维", "date": died.isoformat()}
        ],
    }
    plain = token_for(personas.region, scopes=[Scope.PUSH_DEATHS])
    result = call(client, DEATHS, plain, body).json()
    assert (result["changed"], result["overpaid"], result["kind"]) == (1, 1, "deaths")
    personas.entitlement.refresh_from_db()
    assert personas.entitlement.status == Entitlement.Status.TERMINATED
    assert Overpayment.objects.filter(entitlement=personas.entitlement).exists()
    # Pushed again under a new batch id: already terminated, skipped.
    body["batch_id"] = "d-8"
    again = call(client, DEATHS, plain, body).json()
    assert (again["changed"], again["skipped"]) == (0, 1)


def test_a_regional_token_cannot_push_for_another_region(client, personas):
    plain = token_for(personas.other_region)
    response = call(client, EVIDENCE, plain, _batch(personas))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "not_found"
    assert Certification.objects.count() == 0
