"""Region scoping of the money records: regional staff see theirs, province all."""

import datetime
from decimal import Decimal

import pytest
from django.http import Http404

from lifecert.certification import access
from lifecert.certification.models import Overpayment, SuspensionRun
from lifecert.demo import testing

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(personas):
    here = testing.make_entitlement(region=personas.region)
    there = testing.make_entitlement(region=personas.other_region)
    made = {}
    for name, entitlement in (("here", here), ("there", there)):
        made[name] = Overpayment.objects.create(
            entitlement=entitlement,
            death_date=datetime.date(2026, 8, 15),
            months=2,
            amount=Decimal("6400.00"),
        )
    run = SuspensionRun.objects.create(
        region=personas.other_region,
        count=0,
        run_at=datetime.datetime(2026, 12, 1, 2, 0, tzinfo=datetime.UTC),
        run_on=datetime.date(2026, 12, 1),
        run_by_label="定时任务",
    )
    return made, run


def test_province_staff_see_every_regions_records(personas, records):
    made, run = records
    province = testing.make_staff_user(None, username="province_staff")
    assert set(access.overpayments_for_staff(province)) == set(made.values())
    assert list(access.suspension_runs_for_staff(province)) == [run]
    assert access.access_overpayment(province, made["there"].public_id)
    assert access.back_pays_for_staff(province).count() == 0
    assert access.death_cases_for_staff(province).count() == 0


def test_regional_staff_see_only_their_region(personas, records):
    made, run = records
    assert list(access.overpayments_for_staff(personas.staff)) == [made["here"]]
    assert list(access.suspension_runs_for_staff(personas.staff)) == []
    with pytest.raises(Http404):
        access.access_overpayment(personas.staff, made["there"].public_id)
    with pytest.raises(Http404):
        access.access_suspension_run(personas.staff, run.public_id)
