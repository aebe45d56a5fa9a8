import pytest
from django.urls import reverse

from lifecert.accounts.models import AuthorizationCode, UnitBinding
from lifecert.certification import enrolment
from lifecert.certification.models import Certification, FaceTemplate
from lifecert.core.models import AuditEvent
from lifecert.demo import testing

pytestmark = pytest.mark.django_db


def test_staff_issues_a_code_shown_once_on_a_slip(client, personas):
    url = reverse("backoffice:unit-code", args=[personas.unit.public_id])
    slip_url = reverse("backoffice:unit-code-slip", args=[personas.unit.public_id])
    client.force_login(personas.staff)
    assert "尚未获取授权码" in client.get(url).content.decode()
    response = client.post(url, {"unbind": "keep"})
    assert response.status_code == 302
    assert response["Location"] == slip_url  # POST-redirect-GET
    page = client.get(slip_url).content.decode()
    assert "单位获取授权码回执" in page
    auth = AuthorizationCode.objects.get(unit=personas.unit)
    code = page.split('id="auth-code">')[1].split("<")[0]
    assert len(code.replace("-", "")) == 16
    assert code not in client.get(url).content.decode()
    assert AuditEvent.objects.filter(action="authcode.issue").exists()
    # Reloading the slip shows no code and issues none: the printed one holds.
    reload = client.get(slip_url).content.decode()
    assert "只显示一次" in reload
    assert 'id="auth-code"' not in reload
    assert AuthorizationCode.objects.get(unit=personas.unit).code_hash == auth.code_hash
    assert AuditEvent.objects.filter(action__startswith="authcode.").count() == 1
    # Reissue invalidates the old code.
    client.post(url, {"unbind": "keep"})
    auth2 = AuthorizationCode.objects.get(unit=personas.unit)
    assert auth2.code_hash != auth.code_hash
    assert AuditEvent.objects.filter(action="authcode.reissue").exists()
    assert UnitBinding.objects.filter(unit=personas.unit).exists()


def test_reissuing_asks_whether_to_unbind_and_can_unbind(client, personas):
    url = reverse("backoffice:unit-code", args=[personas.unit.public_id])
    client.force_login(personas.staff)
    page = client.get(url).content.decode()
    assert "同时解除现有绑定" in page
    assert "bob_unit" in page  # staff see who is bound
    # No answer, no code.
    assert client.post(url).status_code == 200
    assert not AuthorizationCode.objects.exists()
    client.post(url, {"unbind": "unbind"})
    assert not UnitBinding.objects.filter(unit=personas.unit).exists()
    event = AuditEvent.objects.get(action="binding.revoke")
    assert event.actor == personas.staff
    assert event.before["account"] == "bob_unit"
    # The unbound account loses the unit on its next page.
    client.force_login(personas.unit_user)
    assert client.get(reverse("employer:index")).status_code in (302, 403)


def test_staff_revoke_one_binding(client, personas):
    binding = UnitBinding.objects.get(unit=personas.unit)
    client.force_login(personas.staff)
    url = reverse(
        "backoffice:unit-binding-revoke",
        args=[personas.unit.public_id, binding.public_id],
    )
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert not UnitBinding.objects.filter(pk=binding.pk).exists()
    assert AuditEvent.objects.filter(
        action="binding.revoke", target_id=str(binding.public_id)
    ).exists()


def test_staff_of_another_region_cannot_see_or_revoke_bindings(client, personas):
    binding = UnitBinding.objects.get(unit=personas.unit)
    client.force_login(personas.outsider_staff)
    url = reverse(
        "backoffice:unit-binding-revoke",
        args=[personas.unit.public_id, binding.public_id],
    )
    assert client.post(url).status_code == 404
    # Nor through a unit of their own region.
    other = reverse(
        "backoffice:unit-binding-revoke",
        args=[personas.other_unit.public_id, binding.public_id],
    )
    assert client.post(other).status_code == 404
    client.force_login(personas.unit_user)
    assert client.post(url).status_code == 403
    assert UnitBinding.objects.filter(pk=binding.pk).exists()


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


@pytest.mark.parametrize(
    "typed",
    [
        "43060319920301203x",
        " 4306 0319 9203 0120 3X",
        "４３０６０３１９９２０３０１２０３Ｘ",
    ],
)
def test_the_person_search_finds_a_number_however_it_is_typed(client, personas, typed):
    other = testing.make_person(name="马勇磊")
    testing.make_entitlement(person=other, region=personas.region)
    client.force_login(personas.staff)
    page = client.post(
        reverse("backoffice:person-list"), {"q": typed}, follow=True
    ).content.decode()
    assert "杨书维" in page
    assert "马勇磊" not in page


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


def test_a_head_of_a_slip_leaves_its_secret_for_the_get(client, personas):
    """Pages answer HEAD now: a prefetch's HEAD must not use up the code or
    the temporary password that the slip shows once."""
    client.force_login(personas.staff)
    code_page = reverse("backoffice:unit-code", args=[personas.unit.public_id])
    code_slip = client.post(code_page, {"unbind": "keep"})["Location"]
    account = personas.pensioner_user
    reset = reverse("backoffice:account-password-reset", args=[account.public_id])
    password_slip = client.post(reset)["Location"]
    for slip, secret in (
        (code_slip, 'id="auth-code"'),
        (password_slip, 'id="temp-password"'),
    ):
        assert client.head(slip).status_code == 200
        assert secret in client.get(slip).content.decode()
        assert secret not in client.get(slip).content.decode()
