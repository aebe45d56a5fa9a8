import datetime
import zoneinfo

import pytest
from django.urls import reverse

from lifecert.certification.services import OVERDUE_REASON
from lifecert.demo import testing
from lifecert.pensioner.texts import NOTES, NOTES_ENVIRONMENT

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

CENTRE = reverse("pensioner:centre")


def test_centre_shows_status_due_date_masked_id_and_the_six_notes(client, personas):
    at = datetime.datetime(2016, 5, 10, 10, 2, tzinfo=SHANGHAI)
    testing.make_certification(personas.entitlement, certified_at=at)
    client.force_login(personas.pensioner_user)
    page = client.get(CENTRE).content.decode()
    assert "欢迎回来, 杨书维。" in page
    assert '您的上次认证时间: <strong id="last-time">2016-05-10 10:02:00' in page
    assert "2017-05-10" in page  # next due date
    assert "正常" in page
    assert "4306**********203X" in page
    assert "43060319920301203X" not in page
    for note in [*NOTES, *NOTES_ENVIRONMENT]:
        assert note in page
    assert "进入资格认证" in page


def test_suspended_entitlement_shows_the_reason(client, personas):
    entitlement = personas.entitlement
    entitlement.status = "suspended"
    entitlement.status_reason = OVERDUE_REASON
    entitlement.save()
    client.force_login(personas.pensioner_user)
    page = client.get(CENTRE).content.decode()
    assert "暂停" in page
    assert "原因：逾期未认证" in page


def test_person_insured_in_two_cities_switches_region(client, personas):
    testing.make_entitlement(person=personas.pensioner, region=personas.other_region)
    client.force_login(personas.pensioner_user)
    page = client.get(CENTRE).content.decode()
    assert "用户切换" in page
    assert 'id="current-region">广州市' in page
    response = client.post(reverse("pensioner:region-switch"), {"region": "440300"})
    assert response.status_code == 302
    page = client.get(CENTRE).content.decode()
    assert 'id="current-region">深圳市' in page


def test_switching_to_a_region_without_pension_is_refused(client, personas):
    client.force_login(personas.pensioner_user)
    client.post(reverse("pensioner:region-switch"), {"region": "440300"})
    page = client.get(CENTRE).content.decode()
    assert 'id="current-region">广州市' in page


def test_unit_user_without_certification_login_is_sent_to_it(client, personas):
    client.force_login(personas.unit_user)
    assert client.get(CENTRE).status_code == 302
