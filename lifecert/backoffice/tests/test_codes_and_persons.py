import pytest
from django.urls import reverse

from lifecert.accounts.models import AuthorizationCode
from lifecert.certification import enrolment
from lifecert.certification.models import Certification, FaceTemplate
from lifecert.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_staff_issues_a_code_shown_once_on_a_slip(client, personas):
    url = reverse("backoffice:unit-code", args=[personas.unit.public_id])
    client.force_login(personas.staff)
    assert "尚未获取授权码" in client.get(url).content.decode()
    response = client.post(url)
    page = response.content.decode()
    assert "单位获取授权码回执" in page
    auth = AuthorizationCode.objects.get(unit=personas.unit)
    code = page.split('id="auth-code">')[1].split("<")[0]
    assert len(code.replace("-", "")) == 16
    assert code not in client.get(url).content.decode()
    assert AuditEvent.objects.filter(action="authcode.issue").exists()
    # Reissue invalidates the old code.
    client.post(url)
    auth2 = AuthorizationCode.objects.get(unit=personas.unit)
    assert auth2.code_hash != auth.code_hash
    assert AuditEvent.objects.filter(action="authcode.reissue").exists()


def test_staff_of_another_region_cannot_see_the_unit_or_person(client, personas):
    client.force_login(personas.outsider_staff)
    assert (
        client.get(
            reverse("backoffice:unit-code", args=[personas.unit.public_id])
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("backoffice:unit-code", args=[personas.unit.public_id])
        ).status_code
        == 404
    )
    url = reverse("backoffice:person-detail", args=[personas.pensioner.public_id])
    assert client.get(url).status_code == 404
    assert not AuthorizationCode.objects.exists()


def test_unit_and_personal_users_get_403(client, personas):
    url = reverse("backoffice:unit-code", args=[personas.unit.public_id])
    client.force_login(personas.unit_user)
    assert client.post(url).status_code == 403
    client.force_login(personas.pensioner_user)
    assert client.get(url).status_code == 403


def test_lists_mask_id_numbers(client, personas):
    client.force_login(personas.staff)
    page = client.get(reverse("backoffice:person-list")).content.decode()
    assert "4306**********203X" in page
    assert "43060319920301203X" not in page
    page = client.post(
        reverse("backoffice:person-list"), {"q": "43060319920301203X"}, follow=True
    ).content
    assert "杨书维" in page.decode()


def test_staff_records_a_counter_certification(client, personas):
    client.force_login(personas.staff)
    url = reverse("backoffice:person-certify", args=[personas.pensioner.public_id])
    response = client.post(
        url, {"entitlement": str(personas.entitlement.public_id), "channel": "counter"}
    )
    assert response.status_code == 302
    cert = Certification.objects.get(person=personas.pensioner)
    assert cert.channel == "counter"
    assert cert.operator == personas.staff
    assert AuditEvent.objects.filter(action="certification.create").exists()


def test_upload_of_a_non_image_is_refused(client, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(personas.staff)
    url = reverse("backoffice:person-photo", args=[personas.pensioner.public_id])
    response = client.post(
        url,
        {"photo": SimpleUploadedFile("x.jpg", b"not an image", "image/jpeg")},
        follow=True,
    )
    assert "建模照片" in response.content.decode()
    assert not FaceTemplate.objects.exists()


def test_staff_uploads_a_reference_photo(client, personas, shared_dir):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(personas.staff)
    url = reverse("backoffice:person-photo", args=[personas.pensioner.public_id])
    photo = (shared_dir / "faces" / "obama" / "obama.jpg").read_bytes()
    response = client.post(
        url, {"photo": SimpleUploadedFile("p.jpg", photo, "image/jpeg")}, follow=True
    )
    assert response.status_code == 200
    template = FaceTemplate.objects.get(person=personas.pensioner)
    assert photo not in bytes(template.photo)  # sealed at rest
    assert enrolment.reference_photo(template) == photo
    assert template.status in {FaceTemplate.Status.READY, FaceTemplate.Status.PENDING}
    assert AuditEvent.objects.filter(action="face.enrol").exists()
