"""窗口重置密码: a counter resets a personal or unit account's password after
checking the holder's ID; staff of another region cannot; it is audited; the
temporary password is shown once and never logged."""

import pytest
from django.urls import reverse

from lifecert.accounts import services
from lifecert.accounts.models import User
from lifecert.core.audit_actions import AuditAction
from lifecert.core.models import AuditEvent
from lifecert.demo import testing

pytestmark = pytest.mark.django_db


def _reset_url(account: User) -> str:
    return reverse("backoffice:account-password-reset", args=[account.public_id])


def _slip_url(account: User) -> str:
    return reverse("backoffice:account-password-slip", args=[account.public_id])


def _temporary(page: str) -> str:
    return page.split('id="temp-password">')[1].split("<")[0]


@pytest.mark.parametrize("who", ["pensioner_user", "unit_user"])
def test_staff_of_the_region_reset_a_password_shown_once_and_audited(
    client, personas, who
):
    account = getattr(personas, who)
    client.force_login(personas.staff)
    response = client.post(_reset_url(account))
    assert response.status_code == 302
    assert response["Location"] == _slip_url(account)  # POST-redirect-GET
    page = client.get(_slip_url(account)).content.decode()
    assert "重置密码回执" in page
    temporary = _temporary(page)
    assert len(temporary) == 14
    assert temporary.count("-") == 2
    # The new password works, the old one no longer does.
    username = account.get_username()
    account.refresh_from_db()
    assert account.check_password(temporary)
    assert not account.check_password(testing.TEST_PASSWORD)
    # Shown once: a reload shows no password and resets nothing.
    reload = client.get(_slip_url(account)).content.decode()
    assert "只显示一次" in reload
    assert 'id="temp-password"' not in reload
    assert temporary not in reload
    account.refresh_from_db()
    assert account.check_password(temporary)
    # Audited: who, on which account, from where; never the password.
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_PASSWORD_RESET)
    assert event.actor == personas.staff
    assert event.after == {"account": username, "kind": account.kind}
    assert event.ip == "127.0.0.1"
    assert temporary not in str(event.before) + str(event.after)


@pytest.mark.parametrize("who", ["pensioner_user", "unit_user"])
def test_staff_of_another_region_cannot_reset(client, personas, who):
    account = getattr(personas, who)
    client.force_login(personas.outsider_staff)
    assert client.post(_reset_url(account)).status_code == 404
    assert client.get(_slip_url(account)).status_code == 404
    account.refresh_from_db()
    assert account.check_password(testing.TEST_PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_PASSWORD_RESET)


def test_provincial_staff_reset_any_region(client, personas):
    province = testing.make_staff_user(None, username="frank_province")
    client.force_login(province)
    assert client.post(_reset_url(personas.pensioner_user)).status_code == 302
    assert client.post(_reset_url(personas.unit_user)).status_code == 302
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.ACCOUNT_PASSWORD_RESET, actor=province
        ).count()
        == 2
    )


def test_staff_accounts_and_others_cannot_be_reset_here(client, personas):
    client.force_login(personas.staff)
    # Another staff account of the same region: not a counter matter.
    colleague = testing.make_staff_user(personas.region, username="gina_staff")
    assert client.post(_reset_url(colleague)).status_code == 404
    # A unit account bound to another region's unit only.
    assert client.post(_reset_url(personas.outsider_unit_user)).status_code == 404
    assert client.get(_reset_url(personas.pensioner_user)).status_code == 405
    with pytest.raises(services.AccountError):
        services.reset_password_at_counter(
            acting_user=personas.staff, account=colleague, ip=None
        )


def test_only_staff_reach_the_reset(client, personas):
    url = _reset_url(personas.pensioner_user)
    assert client.post(url).status_code == 302  # anonymous: to the staff login
    client.force_login(personas.pensioner_user)
    assert client.post(url).status_code == 403
    personas.pensioner_user.refresh_from_db()
    assert personas.pensioner_user.check_password(testing.TEST_PASSWORD)


def test_the_reset_ends_other_sessions_and_lifts_a_login_lock(
    client, personas, settings
):
    holder = testing.make_personal_user(testing.make_person(name="林阿婆"))
    testing.make_entitlement(person=holder.person, region=personas.region)
    from django.test import Client

    logged_in = Client()
    logged_in.force_login(holder)
    assert logged_in.get(reverse("pensioner:centre")).status_code == 200
    # Wrong passwords until the account is locked for this address.
    login = reverse("accounts:personal-login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(login, {"username": holder.username, "password": "wrong-guess-1"})
    locked = Client().post(
        login, {"username": holder.username, "password": testing.TEST_PASSWORD}
    )
    assert locked.status_code != 302  # even the right password is refused now
    client.force_login(personas.staff)
    person_page = reverse("backoffice:person-detail", args=[holder.person.public_id])
    assert _reset_url(holder) in client.get(person_page).content.decode()
    client.post(_reset_url(holder))
    temporary = _temporary(client.get(_slip_url(holder)).content.decode())
    # The session on the other device has ended.
    assert logged_in.get(reverse("pensioner:centre")).status_code == 302
    # The holder logs in with the temporary password.
    fresh = Client()
    response = fresh.post(login, {"username": holder.username, "password": temporary})
    assert response.status_code == 302, response.content.decode()[:400]
    assert response["Location"] == reverse("pensioner:centre")


def test_the_unit_page_offers_the_reset_for_each_bound_account(client, personas):
    client.force_login(personas.staff)
    page = client.get(
        reverse("backoffice:unit-code", args=[personas.unit.public_id])
    ).content.decode()
    assert _reset_url(personas.unit_user) in page
    assert "核实证件后重置密码" in page


def test_forgot_password_sends_the_holder_to_the_counter_with_id(client, personas):
    page = client.get(reverse("accounts:password-forgot")).content.decode()
    assert "携带本人身份证" in page
    assert "工作人员核实身份后为您重置密码" in page
    assert "临时密码" in page
