import datetime

import pytest
from django.test import Client
from django.urls import reverse

from lifecert.accounts.models import User
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import (
    TEST_PASSWORD,
    make_entitlement,
    make_person,
    make_region,
)

pytestmark = pytest.mark.django_db
REGISTER = reverse("accounts:personal-register")
LOGIN = reverse("accounts:personal-login")


def _register(client, **overrides):
    data = {
        "name": "李秀英",
        "ssn": "",
        "phone": "13800138001",
        "password1": "Ab-cdef-12345",
        "password2": "Ab-cdef-12345",
    }
    data.update(overrides)
    return client.post(REGISTER, data)


def test_registered_person_registers_and_lands_in_user_centre(client):
    person = make_person(name="李秀英")
    make_entitlement(person=person)
    response = _register(client, ssn=person.ssn)
    assert response.status_code == 302
    assert response["Location"] == reverse("pensioner:centre")
    user = User.objects.get(username=person.ssn)
    assert user.kind == User.Kind.PERSONAL
    assert user.person == person
    assert AuditEvent.objects.filter(action="account.register", actor=user).exists()


def test_unregistered_person_cannot_register(client):
    make_person(name="李秀英")
    response = _register(client, ssn="43060319920301203X")
    assert response.status_code == 200
    assert "未找到与该姓名和社会保障号码相符的参保登记信息" in response.content.decode()
    assert not User.objects.exists()


def test_name_must_match_the_registry(client):
    person = make_person(name="李秀英")
    response = _register(client, ssn=person.ssn, name="李秀")
    assert "未找到" in response.content.decode()
    assert not User.objects.exists()


def test_wrong_check_character_is_explained(client):
    person = make_person(name="李秀英")
    wrong = person.ssn[:-1] + ("1" if person.ssn[-1] != "1" else "2")
    response = _register(client, ssn=wrong)
    assert "校验位" in response.content.decode()
    assert not User.objects.exists()


def test_registering_twice_is_refused(client, personas):
    response = _register(client, ssn=personas.pensioner.ssn, name="杨书维")
    assert "已注册" in response.content.decode()
    assert User.objects.filter(username=personas.pensioner.ssn).count() == 1


def test_login_and_logout(client, personas):
    response = client.post(
        LOGIN, {"username": personas.pensioner.ssn, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("pensioner:centre")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("pensioner:centre")).status_code == 302


def test_five_wrong_passwords_lock_the_account_from_that_address(client, personas):
    for _ in range(4):
        response = client.post(
            LOGIN, {"username": personas.pensioner.ssn, "password": "x"}
        )
        page = response.content.decode()
        assert "账号或密码错误" in page
        assert "再错" not in page  # no count that tells a real account
    response = client.post(LOGIN, {"username": personas.pensioner.ssn, "password": "x"})
    assert response.status_code == 429
    assert "登录尝试次数过多" in response.content.decode()
    # Even the right password is refused while locked.
    response = client.post(
        LOGIN, {"username": personas.pensioner.ssn, "password": TEST_PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="account.lock").exists()


def test_lock_expires(client, personas, settings):
    import datetime

    import time_machine

    for _ in range(5):
        client.post(LOGIN, {"username": personas.pensioner.ssn, "password": "x"})
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(
        minutes=settings.LOGIN_LOCK_MINUTES + 1
    )
    with time_machine.travel(later):
        response = client.post(
            LOGIN, {"username": personas.pensioner.ssn, "password": TEST_PASSWORD}
        )
    assert response.status_code == 302


def test_user_switches_between_insured_regions(client, personas):
    shenzhen = make_region("440300")
    make_entitlement(person=personas.pensioner, region=shenzhen)
    client.force_login(personas.pensioner_user)
    page = client.get(reverse("pensioner:centre")).content.decode()
    assert "用户切换" in page
    assert 'id="current-region">广州市' in page
    client.post(reverse("pensioner:region-switch"), {"region": "440300"})
    page = client.get(reverse("pensioner:centre")).content.decode()
    assert 'id="current-region">深圳市' in page


def test_switching_to_a_region_without_entitlement_is_refused(client, personas):
    client.force_login(personas.pensioner_user)
    response = client.post(
        reverse("pensioner:region-switch"), {"region": "440600"}, follow=True
    )
    assert "没有养老待遇记录" in response.content.decode()
    assert client.session.get("region_code") is None


def test_post_without_csrf_token_is_refused(personas):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        LOGIN, {"username": personas.pensioner.ssn, "password": TEST_PASSWORD}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_change_password(client, personas):
    client.force_login(personas.pensioner_user)
    response = client.post(
        reverse("accounts:password"),
        {
            "old_password": "wrong",
            "password1": "Ab-cdef-99999",
            "password2": "Ab-cdef-99999",
        },
    )
    assert "原密码不正确" in response.content.decode()
    response = client.post(
        reverse("accounts:password"),
        {
            "old_password": TEST_PASSWORD,
            "password1": "Ab-cdef-99999",
            "password2": "Ab-cdef-99999",
        },
    )
    assert response.status_code == 302
    personas.pensioner_user.refresh_from_db()
    assert personas.pensioner_user.check_password("Ab-cdef-99999")


def test_wrong_kind_gets_403_and_anonymous_goes_to_login(client, personas):
    response = client.get(reverse("pensioner:centre"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    client.force_login(personas.unit_user)
    assert client.get(reverse("pensioner:family")).status_code == 403
    client.force_login(personas.pensioner_user)
    assert client.get(reverse("accounts:unit-home")).status_code == 403
    assert client.get(reverse("backoffice:index")).status_code == 403


def test_registration_is_not_an_unthrottled_name_number_oracle(client, settings):
    person = make_person(name="李秀英")
    for n in range(settings.REGISTER_MAX_PER_ADDRESS):
        _register(client, ssn=person.ssn, name=f"猜{n}")
    # Now even the right pair gets no answer about the registry.
    response = _register(client, ssn=person.ssn)
    page = response.content.decode()
    assert "输入错误次数过多" in page
    assert not User.objects.exists()
    # Another address is not blocked by this one.
    other = Client(REMOTE_ADDR="198.51.100.20")
    assert _register(other, ssn=person.ssn).status_code == 302


def test_registration_tries_for_one_number_are_limited_across_addresses(
    client, settings
):
    settings.REGISTER_MAX_PER_NUMBER = 3
    person = make_person(name="李秀英")
    for n in range(3):
        _register(Client(REMOTE_ADDR=f"203.0.113.{n + 1}"), ssn=person.ssn, name="某")
    response = _register(Client(REMOTE_ADDR="203.0.113.50"), ssn=person.ssn)
    assert "输入错误次数过多" in response.content.decode()


def _passed_face_session(person, client=None):
    import datetime

    from django.utils import timezone

    from lifecert.certification.models import FaceSession

    entitlement = person.entitlements.first()
    face = FaceSession.objects.create(
        person=person,
        region=entitlement.region,
        challenge=["blink"],
        status=FaceSession.Status.PASSED,
        verdict="passed",
        expires_at=timezone.now() + datetime.timedelta(minutes=2),
    )
    if client is not None:  # as pensioner:session-start records it
        session = client.session
        session["face_sessions_started"] = [str(face.public_id)]
        session.save()
    return face


RECLAIM = reverse("accounts:personal-reclaim")
RECLAIM_FINISH = reverse("accounts:personal-reclaim-finish")
NEW_PASSWORD = {
    "phone": "13800138009",
    "password1": "Ab-cdef-77777",
    "password2": "Ab-cdef-77777",
}


def test_a_number_registered_by_someone_else_is_reclaimed_by_face(client, personas):
    squatter = personas.pensioner_user  # registered the number first
    page = _register(client, ssn=personas.pensioner.ssn, name="杨书维").content
    assert "人脸认证找回" in page.decode()
    response = client.post(RECLAIM, {"name": "杨书维", "ssn": personas.pensioner.ssn})
    assert response["Location"] == reverse("pensioner:certify")
    # Before a face certification passes, no password can be set.
    assert client.get(RECLAIM_FINISH)["Location"] == reverse("pensioner:certify")
    face = _passed_face_session(personas.pensioner, client)
    assert client.post(RECLAIM_FINISH, NEW_PASSWORD).status_code == 302
    new = User.objects.get(username=personas.pensioner.ssn)
    assert new.pk != squatter.pk
    assert new.person == personas.pensioner
    assert new.check_password("Ab-cdef-77777")
    squatter.refresh_from_db()
    assert not squatter.is_active
    assert squatter.person is None
    retire = AuditEvent.objects.get(action="account.retire")
    assert retire.target_id == str(squatter.public_id)
    assert retire.after == {"face_session": str(face.public_id)}
    assert AuditEvent.objects.filter(action="account.reclaim", actor=new).exists()
    # The squatter's password no longer opens anything.
    other = Client(REMOTE_ADDR="198.51.100.40")
    response = other.post(
        LOGIN, {"username": personas.pensioner.ssn, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200


def test_a_face_session_from_before_the_reclaim_does_not_count(client, personas):
    client.post(RECLAIM, {"name": "杨书维", "ssn": personas.pensioner.ssn})
    face = _passed_face_session(personas.pensioner, client)
    type(face).objects.filter(pk=face.pk).update(
        created_at=face.created_at - datetime.timedelta(hours=1)
    )
    response = client.post(RECLAIM_FINISH, NEW_PASSWORD)
    assert response["Location"] == reverse("pensioner:certify")
    assert User.objects.get(username=personas.pensioner.ssn).is_active


def test_someone_elses_face_session_does_not_count(client, personas):
    """The squatter starts a reclaim and waits for the real person's routine
    certification elsewhere: it is not one of this browser's sessions."""
    client.post(RECLAIM, {"name": "杨书维", "ssn": personas.pensioner.ssn})
    _passed_face_session(personas.pensioner)  # started by another browser
    response = client.post(RECLAIM_FINISH, NEW_PASSWORD)
    assert response["Location"] == reverse("pensioner:certify")
    assert User.objects.get(username=personas.pensioner.ssn).is_active


def test_reclaiming_needs_the_registered_name(client, personas):
    response = client.post(RECLAIM, {"name": "某某", "ssn": personas.pensioner.ssn})
    assert "未找到" in response.content.decode()
    assert client.get(RECLAIM_FINISH)["Location"] == RECLAIM


# ------------------------------------------ unit accounts never take a number

UNIT_REGISTER = reverse("accounts:unit-register")


def _register_unit(client, username):
    return client.post(
        UNIT_REGISTER,
        {
            "username": username,
            "password1": "Xq7-pLm-29vT",
            "password2": "Xq7-pLm-29vT",
        },
    )


def test_a_unit_account_cannot_be_named_after_a_pensioners_number(client):
    """A stranger registered a unit account named 44010419400101000X: the
    pensioner could then neither register (号码已注册) nor reclaim it (the
    reclaim retires personal accounts only, and its create_user hit the
    taken name: a 500)."""
    person = make_person(name="李秀英")
    make_entitlement(person=person)
    response = _register_unit(client, person.ssn)
    assert response.status_code == 200
    assert "须以字母开头" in response.content.decode()
    assert not User.objects.filter(username=person.ssn).exists()
    assert _register(Client(), ssn=person.ssn).status_code == 302


def test_taken_unit_account_names_are_counted_per_address(client, settings):
    """ "该账号名已被使用" told anyone, without limit, which accounts exist
    (staff ones too)."""
    settings.REGISTER_MAX_PER_ADDRESS = 3
    User.objects.create_user(username="gz_staff_li", kind=User.Kind.STAFF)
    for _ in range(3):
        assert "已被使用" in _register_unit(client, "gz_staff_li").content.decode()
    page = _register_unit(client, "gz_staff_li").content.decode()
    assert "尝试次数过多" in page
    assert "已被使用" not in page
    # A free name from that address waits too; another address is not blocked.
    assert _register_unit(client, "new_unit_a").status_code == 200
    other = Client(REMOTE_ADDR="198.51.100.21")
    assert _register_unit(other, "new_unit_a").status_code == 302
