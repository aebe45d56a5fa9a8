"""Pulls since a cursor: paged, in key order, stable under inserts, per region."""

import datetime
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from lifecert.api.models import Scope
from lifecert.api.pull import encode
from lifecert.certification.models import BackPay, Overpayment, SuspensionRun
from lifecert.demo.testing import make_certification, make_entitlement

from .helpers import call, token_for

pytestmark = pytest.mark.django_db
CERTS = "/api/v1/certifications/"


def _pull_all(client, path, plain, limit):
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = call(client, path, plain, **query).json()
        seen += body["results"]
        cursor, pages = body["next_cursor"], pages + 1
        if not body["has_more"]:
            return seen, cursor, pages


def test_pages_walk_every_certification_once_and_inserts_do_not_shift_them(
    client, personas
):
    plain = token_for(personas.region, scopes=[Scope.PULL_CERTIFICATIONS])
    made = [make_certification(personas.entitlement) for _ in range(5)]
    first = call(client, CERTS, plain, limit=2).json()
    assert [r["certification_id"] for r in first["results"]] == [
        str(c.public_id) for c in made[:2]
    ]
    assert first["has_more"] is True
    # Rows written meanwhile come after the cursor, never into a page seen.
    late = make_certification(personas.entitlement)
    rest, cursor, _pages = _pull_all_from(client, plain, first["next_cursor"], 2)
    assert [r["certification_id"] for r in rest] == [
        str(c.public_id) for c in [*made[2:], late]
    ]
    row = first["results"][0]
    assert row["ssn"] == personas.pensioner.ssn
    assert row["region_code"] == "440100"
    assert row["channel_label"] == "窗口"
    # Nothing new: an empty page with the same cursor to poll with.
    empty = call(client, CERTS, plain, cursor=cursor).json()
    assert empty == {"results": [], "next_cursor": cursor, "has_more": False}


def _pull_all_from(client, plain, cursor, limit):
    seen, pages = [], 0
    while True:
        body = call(client, CERTS, plain, cursor=cursor, limit=limit).json()
        seen += body["results"]
        cursor, pages = body["next_cursor"], pages + 1
        if not body["has_more"]:
            return seen, cursor, pages


def test_a_regional_token_pulls_its_region_only(client, personas):
    other = make_entitlement(region=personas.other_region)
    make_certification(other)
    mine = make_certification(personas.entitlement)
    rows, _, _ = _pull_all(client, CERTS, token_for(personas.region), 10)
    assert [r["certification_id"] for r in rows] == [str(mine.public_id)]
    everything, _, _ = _pull_all(client, CERTS, token_for(None), 10)
    assert len(everything) == 2


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ({"cursor": "bm9wZQ"}, "cursor", "invalid_cursor"),
        ({"cursor": "%%%"}, "cursor", "invalid_cursor"),
        ({"cursor": encode("over", 3)}, "cursor", "invalid_cursor"),
        ({"limit": "0"}, "limit", "invalid_limit"),
        ({"limit": "abc"}, "limit", "invalid_limit"),
        ({"limit": "100000"}, "limit", "invalid_limit"),
    ],
)
def test_a_bad_cursor_or_limit_is_a_field_error(client, personas, query, field, code):
    response = call(client, CERTS, token_for(personas.region), **query)
    assert response.status_code == 400
    (item,) = response.json()["errors"]
    assert (item["field"], item["code"]) == (field, code)


@override_settings(API_PAGE_SIZE=1)
def test_the_default_page_size_comes_from_the_settings(client, personas):
    make_certification(personas.entitlement)
    make_certification(personas.entitlement)
    body = call(client, CERTS, token_for(personas.region)).json()
    assert len(body["results"]) == 1
    assert body["has_more"] is True


def test_suspensions_resumptions_and_overpayments_for_payroll(client, personas):
    e = personas.entitlement
    certification = make_certification(e)
    run = SuspensionRun.objects.create(
        region=personas.region,
        count=1,
        run_at=timezone.now(),
        run_on=datetime.date(2026, 3, 2),
        run_by_label="定时任务",
    )
    run.entitlements.add(e)
    BackPay.objects.create(
        entitlement=e,
        certification=certification,
        suspension_run=run,
        suspended_since=datetime.date(2026, 3, 2),
        months=3,
        amount=Decimal("9600"),
    )
    Overpayment.objects.create(
        entitlement=e,
        death_date=datetime.date(2026, 4, 9),
        months=2,
        amount=Decimal("6400.5"),
        responsible="待遇领取人（继承人）",
    )
    plain = token_for(personas.region)
    (suspension,) = call(client, "/api/v1/suspensions/", plain).json()["results"]
    assert suspension["suspended_on"] == "2026-03-02"
    assert suspension["run_id"] == str(run.public_id)
    assert suspension["entitlement_id"] == str(e.public_id)
    assert suspension["reason"] == "逾期未认证"
    (resumption,) = call(client, "/api/v1/resumptions/", plain).json()["results"]
    assert resumption["back_pay_months"] == 3
    assert resumption["back_pay_amount"] == "9600.00"
    assert resumption["certification_id"] == str(certification.public_id)
    (overpayment,) = call(client, "/api/v1/overpayments/", plain).json()["results"]
    assert overpayment["amount"] == "6400.50"
    assert overpayment["status_label"] == "待追回"
    assert overpayment["death_date"] == "2026-04-09"
    other = token_for(personas.other_region)
    for path in ("suspensions", "resumptions", "overpayments"):
        assert call(client, f"/api/v1/{path}/", other).json()["results"] == []
