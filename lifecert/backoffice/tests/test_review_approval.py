"""人工审核 "已认证": a certification (channel 人工审核) and the resumption, in one
transaction, audited."""

import datetime
from unittest import mock

import pytest
import time_machine
from django.urls import reverse

from lifecert.certification.models import (
    BackPay,
    Certification,
    Channel,
    ReviewRequest,
)
from lifecert.certification.services import record_death, suspend_overdue
from lifecert.core import audit
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import make_certification
from lifecert.registry.models import Entitlement

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))


def _at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


@pytest.fixture
def review(personas):
    return ReviewRequest.objects.create(
        person=personas.pensioner,
        region=personas.region,
        reason="人脸认证当天失败 3 次",
    )


def test_approving_certifies_by_review_and_resumes_with_back_pay(
    client, personas, review
):
    ent = personas.entitlement
    make_certification(ent, certified_at=_at(2025, 10, 20, 9))
    with time_machine.travel(_at(2026, 11, 5, 10), tick=False):
        suspend_overdue(acting_user=personas.staff)
    with time_machine.travel(_at(2027, 1, 12, 10), tick=False):
        client.force_login(personas.staff)
        url = reverse("backoffice:review-close", args=[review.public_id])
        client.post(url, {"outcome": "approved"})
    certification = Certification.objects.get(channel=Channel.REVIEW)
    assert certification.entitlement == ent
    assert certification.operator == personas.staff
    assert certification.evidence["review"] == str(review.public_id)
    ent.refresh_from_db()
    assert ent.status == Entitlement.Status.NORMAL
    assert ent.last_certified_at == _at(2027, 1, 12, 10)
    assert BackPay.objects.get(entitlement=ent).months == 2  # November, December
    review.refresh_from_db()
    assert review.status == ReviewRequest.Status.APPROVED
    event = AuditEvent.objects.get(action="review.close")
    assert event.after["certification"] == str(certification.public_id)
    assert event.after["back_pay_months"] == 2
    assert AuditEvent.objects.filter(action="entitlement.resume").exists()


def test_rejecting_records_no_certification(client, personas, review):
    client.force_login(personas.staff)
    url = reverse("backoffice:review-close", args=[review.public_id])
    client.post(url, {"outcome": "rejected"})
    review.refresh_from_db()
    assert review.status == ReviewRequest.Status.REJECTED
    assert not Certification.objects.exists()


def test_a_refused_certification_leaves_the_review_open(client, personas, review):
    record_death(
        entitlement=personas.entitlement,
        death_date=datetime.date(2026, 1, 5),
        acting_user=personas.staff,
    )
    client.force_login(personas.staff)
    url = reverse("backoffice:review-close", args=[review.public_id])
    client.post(url, {"outcome": "approved"})
    review.refresh_from_db()
    assert review.status == ReviewRequest.Status.OPEN
    assert not Certification.objects.exists()


def test_a_failure_after_certifying_rolls_everything_back(client, personas, review):
    """One transaction: if the audit of the review fails, no certification stays."""
    ent = personas.entitlement
    Entitlement.objects.filter(pk=ent.pk).update(
        status=Entitlement.Status.SUSPENDED,
        status_reason="逾期未认证",
        status_since=datetime.date(2026, 1, 1),
    )
    client.force_login(personas.staff)
    url = reverse("backoffice:review-close", args=[review.public_id])
    real_record = audit.record

    def failing(action, **kwargs):
        if action == "review.close":
            raise RuntimeError("disk full")
        return real_record(action, **kwargs)

    with (
        mock.patch.object(audit, "record", failing),
        pytest.raises(RuntimeError),
    ):
        client.post(url, {"outcome": "approved"})
    ent.refresh_from_db()
    assert ent.status == Entitlement.Status.SUSPENDED
    assert not Certification.objects.exists()
    assert not BackPay.objects.exists()
    review.refresh_from_db()
    assert review.status == ReviewRequest.Status.OPEN
