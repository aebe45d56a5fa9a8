"""Status lookup by ID number (POST body): the cycle rule's due date."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from lifecert.demo.testing import make_certification, make_entitlement, make_region
from lifecert.registry.models import Entitlement

from .helpers import call, token_for

pytestmark = pytest.mark.django_db
STATUS = "/api/v1/status/"
NOW = datetime.datetime(2026, 6, 15, 10, 0, tzinfo=datetime.UTC)


@time_machine.travel(NOW, tick=False)
def test_status_gives_the_due_date_of_the_cycle_rule_per_entitlement(client, personas):
    at = datetime.datetime(2025, 7, 10, 1, tzinfo=datetime.UTC)  # 09:00 local
    make_certification(personas.entitlement, certified_at=at)
    foshan = make_region("440600")
    make_entitlement(
        person=personas.pensioner,
        region=foshan,
        status=Entitlement.Status.SUSPENDED,
        status_reason="逾期未认证",
        status_since=datetime.date(2026, 2, 1),
        start_date=datetime.date(2020, 1, 1),
    )
    response = call(client, STATUS, token_for(None), {"ssn": "430603 19920301203x"})
    assert response.status_code == 200
    body = response.json()
    assert body["ssn"] == "4306**********203X"
    assert body["name"] == "杨书维"
    assert body["death_date"] is None
    gz, fs = body["entitlements"]
    assert gz["region_code"] == "440100"
    assert gz["due_date"] == "2026-07-10"
    assert gz["certification_status"] == "due_soon"
    assert gz["certification_status_label"] == "即将到期"
    assert gz["pension_status"] == "normal"
    assert gz["unit_number"] == "4401000001"
    assert fs["pension_status"] == "suspended"
    assert fs["certification_status"] == "overdue"
    assert fs["status_since"] == "2026-02-01"
    assert fs["unit_number"] is None


@time_machine.travel(NOW, tick=False)
def test_status_after_a_recent_certification_is_current(client, personas):
    make_certification(personas.entitlement, certified_at=timezone.now())
    body = call(
        client, STATUS, token_for(personas.region), {"ssn": personas.pensioner.ssn}
    ).json()
    assert body["entitlements"][0]["certification_status"] == "current"
    assert body["entitlements"][0]["due_date"] == "2027-06-15"


def test_a_terminated_pension_has_no_due_date(client, personas):
    personas.entitlement.status = Entitlement.Status.TERMINATED
    personas.entitlement.save()
    body = call(
        client, STATUS, token_for(personas.region), {"ssn": personas.pensioner.ssn}
    ).json()
    assert body["entitlements"][0]["due_date"] is None
    assert body["entitlements"][0]["certification_status"] == "terminated"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"ssn": "43060319920301203"}, "invalid_ssn"),
        ({"ssn": "430603199203012031"}, "invalid_ssn"),
        ({}, "required"),
        ({"ssn": ""}, "blank"),
    ],
)
def test_a_bad_number_is_a_field_error_in_chinese(client, personas, body, code):
    response = call(client, STATUS, token_for(personas.region), body)
    assert response.status_code == 400
    (item,) = response.json()["errors"]
    assert item["field"] == "ssn"
    assert item["row"] is None
    assert item["code"] == code
    assert item["message"]


def test_the_number_is_never_taken_from_the_url(client, personas):
    response = client.get(
        STATUS,
        {"ssn": personas.pensioner.ssn},
        headers={"Authorization": f"Bearer {token_for(personas.region)}"},
    )
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "method_not_allowed"


def test_a_body_that_is_not_json_is_a_parse_error(client, personas):
    plain = token_for(personas.region)
    response = client.post(
        STATUS,
        "{",
        content_type="application/json",
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"
    response = client.post(
        STATUS,
        "ssn=1",
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert response.status_code == 415
