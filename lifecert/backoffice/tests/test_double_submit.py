"""A back-office form sent twice (double click, Back and send again) acts once:
the second submit lands on the first one's page with 已提交过，请勿重复提交."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from lifecert.accounts.models import AuthorizationCode, User
from lifecert.certification.models import (
    Certification,
    DeathAfterCertificationCase,
    ReviewRequest,
    SuspensionRun,
)
from lifecert.conftest import Personas
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import (
    make_entitlement,
    make_person,
    make_ssn,
    make_staff_user,
)
from lifecert.demo.testing import once_value as once_of

from .test_cycle_and_money import NOW, _hu_guo

REPEATED = "已提交过，请勿重复提交"


def _twice(client: Client, page: str, url: str, data: dict[str, str]) -> tuple:
    once = once_of(client.get(page))
    first = client.post(url, {**data, "once": once})
    again = client.post(url, {**data, "once": once}, follow=True)
    return first, again


def test_a_staff_account_is_opened_once_and_the_repeat_lands_on_its_slip(
    client: Client, personas: Personas
) -> None:
    client.force_login(make_staff_user(None, username="pat_province"))
    list_url = reverse("backoffice:staff-list")
    data = {"username": "gz_twice", "display_name": "何经办", "region": "440100"}
    first, again = _twice(client, list_url, list_url, data)
    assert first.status_code == 302
    assert again.redirect_chain == [(first["Location"], 302)]
    page = again.content.decode()
    assert REPEATED in page
    assert "用户名已存在" not in page
    assert User.objects.filter(username="gz_twice").count() == 1
    assert AuditEvent.objects.filter(action="staff.create").count() == 1


def test_an_authorization_code_is_issued_once(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.staff)
    url = reverse("backoffice:unit-code", args=[personas.unit.public_id])
    first, again = _twice(client, url, url, {"unbind": "keep"})
    assert again.redirect_chain == [(first["Location"], 302)]
    assert REPEATED in again.content.decode()
    assert AuthorizationCode.objects.filter(unit=personas.unit).count() == 1
    issued = AuditEvent.objects.filter(action__startswith="authcode.")
    assert issued.count() == 1


@time_machine.travel(NOW, tick=False)
def test_a_suspension_run_is_confirmed_once(client: Client, personas: Personas) -> None:
    make_entitlement(person=make_person(name="李逾期"), region=personas.region)
    client.force_login(personas.staff)
    url = reverse("backoffice:run-suspensions")
    first, again = _twice(client, url, url, {"expected": "2"})
    run = SuspensionRun.objects.get()
    assert first["Location"] == reverse(
        "backoffice:suspension-run", args=[run.public_id]
    )
    assert again.redirect_chain == [(first["Location"], 302)]
    page = again.content.decode()
    assert REPEATED in page
    assert "名单已变化" not in page
    assert "李逾期" in page


def test_an_overpayment_status_and_a_death_case_change_once(
    client: Client, personas: Personas
) -> None:
    overpayment = _hu_guo(personas)
    client.force_login(personas.staff)
    listing = reverse("backoffice:overpayment-list")
    url = reverse("backoffice:overpayment-status", args=[overpayment.public_id])
    first, again = _twice(
        client, listing, url, {"status": "recovered", "next": listing}
    )
    assert first["Location"] == listing
    assert again.redirect_chain == [(listing, 302)]
    page = again.content.decode()
    assert REPEATED in page
    assert "状态未变化" not in page
    assert AuditEvent.objects.filter(action="overpayment.status").count() == 1
    case = DeathAfterCertificationCase.objects.get()
    cases = reverse("backoffice:death-case-list")
    close = reverse("backoffice:death-case-close", args=[case.public_id])
    first, again = _twice(client, cases, close, {})
    assert again.redirect_chain == [(cases, 302)]
    assert REPEATED in again.content.decode()
    assert AuditEvent.objects.filter(action="death_case.close").count() == 1


@pytest.mark.parametrize("outcome", ["approved", "rejected"])
def test_a_review_decision_is_taken_once(
    client: Client, personas: Personas, outcome: str
) -> None:
    review = ReviewRequest.objects.create(
        person=personas.pensioner,
        region=personas.region,
        reason="人脸认证当天失败 3 次",
    )
    client.force_login(personas.staff)
    detail = reverse("backoffice:review-detail", args=[review.public_id])
    url = reverse("backoffice:review-close", args=[review.public_id])
    _, again = _twice(client, detail, url, {"outcome": outcome})
    queue = reverse("backoffice:review-queue")
    assert again.redirect_chain == [(queue, 302)]
    assert REPEATED in again.content.decode()
    assert AuditEvent.objects.filter(action="review.close").count() == 1
    assert Certification.objects.count() == (1 if outcome == "approved" else 0)


def test_an_import_confirmed_twice_writes_once_and_lands_on_the_upload_page(
    client: Client, personas: Personas
) -> None:
    from lifecert.registry.models import Entitlement

    from .import_helpers import URL, confirm, preview, row

    client.force_login(personas.staff)
    before = Entitlement.objects.count()
    page = preview(client, [row(make_ssn())])
    once = once_of(page)
    assert confirm(client, page, once=once)["Location"] == URL
    # Back to the preview's page and confirm again: its upload is gone.
    again = client.post(
        reverse("backoffice:import-confirm", args=[page.context["pending"].token]),
        {"fingerprint": page.context["pending"].fingerprint, "once": once},
        follow=True,
    )
    assert again.redirect_chain == [(URL, 302)]
    assert REPEATED in again.content.decode()
    assert Entitlement.objects.count() == before + 1


def test_a_binding_revoked_twice_is_not_a_missing_page(
    client: Client, personas: Personas
) -> None:
    from lifecert.accounts.models import UnitBinding

    binding = UnitBinding.objects.get(account=personas.unit_user)
    client.force_login(personas.staff)
    page = reverse("backoffice:unit-code", args=[personas.unit.public_id])
    url = reverse(
        "backoffice:unit-binding-revoke",
        args=[personas.unit.public_id, binding.public_id],
    )
    first, again = _twice(client, page, url, {})
    assert first["Location"] == page
    assert again.redirect_chain == [(page, 302)]
    assert REPEATED in again.content.decode()
    assert not UnitBinding.objects.filter(pk=binding.pk).exists()
    assert AuditEvent.objects.filter(action="binding.revoke").count() == 1


def test_an_overpayment_status_set_back_and_again_is_no_repeat(
    client: Client, personas: Personas
) -> None:
    """Found on the walk: with the same fields counted as a repeat, a status
    corrected back (已追回 → 待追回 → 已追回) was refused the third time."""
    overpayment = _hu_guo(personas)
    client.force_login(personas.staff)
    listing = reverse("backoffice:overpayment-list")
    url = reverse("backoffice:overpayment-status", args=[overpayment.public_id])
    for status in ("recovered", "pending", "recovered"):
        data = {"status": status, "next": listing, "once": once_of(client.get(listing))}
        page = client.post(url, data, follow=True).content.decode()
        assert REPEATED not in page
    overpayment.refresh_from_db()
    assert overpayment.status == "recovered"
    assert AuditEvent.objects.filter(action="overpayment.status").count() == 3


def test_the_review_queue_reads_as_cards_on_a_phone(
    client: Client, personas: Personas
) -> None:
    """Found at 375 px: 原因 and 查看认证影像 were squeezed to a character a line."""
    ReviewRequest.objects.create(
        person=personas.pensioner,
        region=personas.region,
        reason="人脸认证当天失败 3 次",
    )
    client.force_login(personas.staff)
    page = client.get(reverse("backoffice:review-queue")).content.decode()
    assert '<table class="grid cards-on-phone" id="review-queue">' in page
    assert '<td data-label="原因">人脸认证当天失败 3 次<br>' in page


def test_a_password_reset_clicked_twice_resets_once(
    client: Client, personas: Personas
) -> None:
    """Two resets of one double click could leave the slip showing the first
    temporary password while the second one was in force."""
    account = personas.pensioner_user
    client.force_login(personas.staff)
    page = reverse("backoffice:person-detail", args=[personas.pensioner.public_id])
    url = reverse("backoffice:account-password-reset", args=[account.public_id])
    first, again = _twice(client, page, url, {})
    slip = reverse("backoffice:account-password-slip", args=[account.public_id])
    assert first["Location"] == slip
    assert again.redirect_chain == [(slip, 302)]
    assert REPEATED in again.content.decode()
    assert AuditEvent.objects.filter(action="account.password_reset").count() == 1
    # Reset again on purpose (a new page): done.
    client.post(url, {"once": once_of(client.get(page))})
    assert AuditEvent.objects.filter(action="account.password_reset").count() == 2


def test_a_staff_password_reset_clicked_twice_resets_once(
    client: Client, personas: Personas
) -> None:
    client.force_login(make_staff_user(None, username="pat_province"))
    page = reverse("backoffice:staff-list")
    url = reverse("backoffice:staff-password-reset", args=[personas.staff.public_id])
    _, again = _twice(client, page, url, {})
    assert REPEATED in again.content.decode()
    assert AuditEvent.objects.filter(action="staff.password_reset").count() == 1


def test_a_reference_photo_sent_twice_is_enrolled_once(
    client: Client, personas: Personas, shared_dir
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lifecert.certification.models import FaceTemplate

    client.force_login(personas.staff)
    page = reverse("backoffice:person-detail", args=[personas.pensioner.public_id])
    url = reverse("backoffice:person-photo", args=[personas.pensioner.public_id])
    photo = (shared_dir / "faces" / "obama" / "obama.jpg").read_bytes()
    once = once_of(client.get(page))
    for _ in range(2):
        upload = SimpleUploadedFile("p.jpg", photo, "image/jpeg")
        answer = client.post(url, {"photo": upload, "once": once}, follow=True)
    assert answer.redirect_chain == [(page, 302)]
    assert REPEATED in answer.content.decode()
    assert FaceTemplate.objects.filter(person=personas.pensioner).count() == 1
    assert AuditEvent.objects.filter(action="face.enrol").count() == 1
