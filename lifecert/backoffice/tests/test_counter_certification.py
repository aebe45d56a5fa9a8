"""窗口 / 上门 certification by staff: what is refused, and a resumption."""

import pytest
from django.urls import reverse

from lifecert.certification.models import Certification
from lifecert.certification.services import OVERDUE_REASON
from lifecert.demo import testing
from lifecert.registry.models import Entitlement

pytestmark = pytest.mark.django_db


def _certify(client, personas, entitlement, channel="counter"):
    client.force_login(personas.staff)
    url = reverse("backoffice:person-certify", args=[personas.pensioner.public_id])
    data = {"entitlement": str(entitlement.public_id), "channel": channel}
    return client.post(url, data, follow=True).content.decode()


def test_a_form_without_a_channel_is_refused(client, personas):
    page = _certify(client, personas, personas.entitlement, channel="")
    assert "请选择认证方式" in page
    assert not Certification.objects.exists()


def test_an_entitlement_of_another_region_is_refused(client, personas):
    elsewhere = testing.make_entitlement(
        person=personas.pensioner, region=personas.other_region
    )
    page = _certify(client, personas, elsewhere)
    assert "不在您的管辖范围" in page
    assert not Certification.objects.exists()


def test_a_terminated_entitlement_is_refused(client, personas):
    personas.entitlement.status = Entitlement.Status.TERMINATED
    personas.entitlement.save(update_fields=["status"])
    page = _certify(client, personas, personas.entitlement)
    assert "该待遇已终止，不能认证。" in page
    assert not Certification.objects.exists()


def test_an_overdue_pension_resumes_and_the_page_says_so(client, personas):
    personas.entitlement.status = Entitlement.Status.SUSPENDED
    personas.entitlement.status_reason = OVERDUE_REASON
    personas.entitlement.save(update_fields=["status", "status_reason"])
    page = _certify(client, personas, personas.entitlement)
    assert "待遇已恢复" in page
    personas.entitlement.refresh_from_db()
    assert personas.entitlement.status == Entitlement.Status.NORMAL


def test_the_same_visit_sent_twice_is_recorded_once(client, personas):
    """Found on the demo: a double click on 记录认证 recorded two 窗口
    certifications (and two audit rows) in the same second."""
    first = _certify(client, personas, personas.entitlement)
    assert "已记录 广州市 的资格认证" in first
    again = _certify(client, personas, personas.entitlement)
    assert "已记录过窗口认证，无需重复记录" in again
    assert Certification.objects.filter(entitlement=personas.entitlement).count() == 1


def test_a_home_visit_after_a_counter_visit_the_same_day_is_recorded(client, personas):
    _certify(client, personas, personas.entitlement)
    page = _certify(client, personas, personas.entitlement, channel="home")
    assert "无需重复记录" not in page
    assert Certification.objects.filter(entitlement=personas.entitlement).count() == 2
