import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from lifecert.certification.models import Certification, Overpayment, ReviewRequest
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import make_entitlement, make_person, xlsx_upload
from lifecert.registry.models import Entitlement

pytestmark = pytest.mark.django_db


def _xlsx(header, rows):
    return xlsx_upload(header, rows, "evidence.xlsx")


def test_death_records_terminate_and_record_overpayment(client, personas):
    client.force_login(personas.staff)
    url = reverse("backoffice:evidence-import", args=["deaths"])
    died = timezone.localdate().replace(day=1) - datetime.timedelta(days=70)
    file = _xlsx(
        ["社会保障号码", "姓名", "死亡日期"], [[personas.pensioner.ssn, "杨书维", died]]
    )
    response = client.post(url, {"file": file})
    assert response.status_code == 200
    personas.entitlement.refresh_from_db()
    assert personas.entitlement.status == Entitlement.Status.TERMINATED
    assert Overpayment.objects.filter(entitlement=personas.entitlement).exists()
    assert AuditEvent.objects.filter(action="import.deaths").exists()


def test_death_file_with_bad_rows_changes_nothing(client, personas):
    other = make_entitlement(person=make_person(name="孙建国"), region=personas.region)
    client.force_login(personas.staff)
    url = reverse("backoffice:evidence-import", args=["deaths"])
    rows = [
        [other.person.ssn, "孙建国", "2026-01-05"],
        [personas.pensioner.ssn, "杨树维", "2026-01-05"],  # name differs
        ["43060319920301203X", "杨书维", "2099-01-01"],  # in the future
    ]
    response = client.post(
        url, {"file": _xlsx(["社会保障号码", "姓名", "死亡日期"], rows)}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "第 3 行" in page
    assert "姓名“杨树维”与登记的姓名不一致" in page
    assert "第 4 行" in page
    other.refresh_from_db()
    assert other.status == Entitlement.Status.NORMAL


def test_outsider_staff_cannot_touch_another_regions_people(client, personas):
    client.force_login(personas.outsider_staff)
    url = reverse("backoffice:evidence-import", args=["deaths"])
    file = _xlsx(
        ["社会保障号码", "姓名", "死亡日期"],
        [[personas.pensioner.ssn, "杨书维", "2026-01-05"]],
    )
    response = client.post(url, {"file": file})
    assert "没有养老待遇" in response.content.decode()
    personas.entitlement.refresh_from_db()
    assert personas.entitlement.status == Entitlement.Status.NORMAL


def test_data_comparison_is_a_silent_certification(client, personas):
    client.force_login(personas.staff)
    url = reverse("backoffice:evidence-import", args=["comparison"])
    day = timezone.localdate() - datetime.timedelta(days=3)
    file = _xlsx(
        ["社会保障号码", "姓名", "比对日期", "数据来源"],
        [[personas.pensioner.ssn, "杨书维", day, "医保就医记录"]],
    )
    assert client.post(url, {"file": file}).status_code == 200
    cert = Certification.objects.get(person=personas.pensioner)
    assert cert.channel == "data"
    assert cert.evidence["source"] == "医保就医记录"
    # The same file again adds nothing.
    file.seek(0)
    client.post(url, {"file": file})
    assert Certification.objects.filter(person=personas.pensioner).count() == 1


def test_unknown_evidence_kind_is_404(client, personas):
    client.force_login(personas.staff)
    assert (
        client.get(reverse("backoffice:evidence-import", args=["x"])).status_code == 404
    )


def test_review_queue_is_region_scoped_and_closing_is_audited(client, personas):
    review = ReviewRequest.objects.create(
        person=personas.pensioner,
        region=personas.region,
        reason="人脸认证当天失败 3 次",
    )
    client.force_login(personas.outsider_staff)
    assert (
        "杨书维" not in client.get(reverse("backoffice:review-queue")).content.decode()
    )
    url = reverse("backoffice:review-close", args=[review.public_id])
    assert client.post(url, {"outcome": "approved"}).status_code == 404
    client.force_login(personas.staff)
    assert "杨书维" in client.get(reverse("backoffice:review-queue")).content.decode()
    client.post(url, {"outcome": "approved"})
    review.refresh_from_db()
    assert review.status == ReviewRequest.Status.APPROVED
    assert review.resolved_by == personas.staff
    assert AuditEvent.objects.filter(action="review.close").exists()
