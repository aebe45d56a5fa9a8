"""Staff see the registry of their own region; provincial staff see every region."""

import pytest
from django.http import Http404

from lifecert.demo import testing
from lifecert.registry import access


@pytest.fixture
def two_regions(db):
    guangzhou = testing.make_region("440100", "广州市")
    shenzhen = testing.make_region("440300", "深圳市")
    here = testing.make_entitlement(
        person=testing.make_person(),
        region=guangzhou,
        unit=testing.make_unit(region=guangzhou),
    )
    there = testing.make_entitlement(
        person=testing.make_person(),
        region=shenzhen,
        unit=testing.make_unit(region=shenzhen),
    )
    return guangzhou, shenzhen, here, there


def test_regional_staff_see_only_their_region(two_regions):
    guangzhou, _shenzhen, here, there = two_regions
    clerk = testing.make_staff_user(guangzhou)
    assert list(access.staff_regions(clerk)) == [guangzhou]
    assert set(access.persons_for_staff(clerk)) == {here.person}
    assert set(access.units_for_staff(clerk)) == {here.unit}
    assert access.access_person(clerk, here.person.public_id) == here.person
    assert access.access_unit(clerk, here.unit.public_id) == here.unit
    with pytest.raises(Http404):
        access.access_person(clerk, there.person.public_id)
    with pytest.raises(Http404):
        access.access_unit(clerk, there.unit.public_id)


def test_provincial_staff_see_every_region(two_regions):
    guangzhou, shenzhen, here, there = two_regions
    province = testing.make_staff_user(None)
    assert set(access.staff_regions(province)) >= {guangzhou, shenzhen}
    assert set(access.persons_for_staff(province)) >= {here.person, there.person}
    assert set(access.units_for_staff(province)) >= {here.unit, there.unit}
    assert access.access_person(province, there.person.public_id) == there.person
    assert access.access_unit(province, there.unit.public_id) == there.unit
