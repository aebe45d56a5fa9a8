"""经办人员账号: province staff create regional staff accounts, reset their
password, lift a login lock and deactivate them, each audited; regional staff
(and everyone else) are refused with 403 and change nothing."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lifecert.accounts import staff
from lifecert.accounts.models import User
from lifecert.accounts.services import AccountError
from lifecert.core.audit_actions import AuditAction
from lifecert.core.models import AuditEvent
from lifecert.demo import testing

pytestmark = pytest.mark.django_db

LIST = reverse("backoffice:staff-list")


@pytest.fixture
def province(personas):
    return testing.make_staff_user(None, username="pat_province")


def _url(name, account):
    return reverse(f"backoffice:{name}", args=[account.public_id])


def _temporary(page: str) -> str:
    return page.split('id="temp-password">')[1].split("<")[0]


def _logs_in(username: str, password: str) -> bool:
    response = Client().post(
        reverse("accounts:staff-login"), {"username": username, "password": password}
    )
    return response.status_code == 302 and response["Location"] == "/backoffice/"


def _attempt(username, failures=5):
    return AccessAttempt.objects.create(
        username=username,
        ip_address="10.0.0.9",
        user_agent="test",
        attempt_time=timezone.now(),
        failures_since_start=failures,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/staff/login/",
    )


def test_province_creates_a_regional_account_with_a_password_shown_once(
    client, personas, province
):
    client.force_login(province)
    response = client.post(
        LIST,
        {
            "username": "gz_new_officer",
            "display_name": "何经办",
            "region": personas.region.code,
            "phone": "13800001111",
        },
    )
    account = User.objects.get(username="gz_new_officer")
    assert response.status_code == 302
    assert response["Location"] == _url("account-password-slip", account)
    assert account.kind == User.Kind.STAFF
    assert account.staff_region == personas.region
    assert account.display_name == "何经办"
    page = client.get(response["Location"]).content.decode()
    assert 'id="new-account-note"' in page
    temporary = _temporary(page)
    assert _logs_in("gz_new_officer", temporary)
    assert 'id="temp-password"' not in client.get(response["Location"]).content.decode()
    event = AuditEvent.objects.get(action=AuditAction.STAFF_CREATE)
    assert event.actor == province
    assert event.region_id == personas.region.pk  # the region's staff see it too
    assert event.after == {
        "account": "gz_new_officer",
        "name": "何经办",
        "region": personas.region.code,
    }
    assert temporary not in str(event.after)
    assert "gz_new_officer" in client.get(LIST).content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"username": "carol_staff", "display_name": "重名"}, "已被使用"),
        ({"username": "x", "display_name": "短"}, "3–40 位"),
        ({"username": "ok_name", "display_name": "无地区", "region": ""}, "请选择"),
    ],
)
def test_a_bad_new_account_is_refused_with_the_reason(
    client, personas, province, data, error
):
    client.force_login(province)
    data = {"region": personas.region.code, **data}
    response = client.post(LIST, data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.STAFF_CREATE)


def test_province_resets_a_password_ending_sessions_and_lifting_the_lock(
    personas, province
):
    officer = personas.staff
    logged_in = Client()
    logged_in.force_login(officer)
    _attempt(officer.username)
    client = Client()
    client.force_login(province)
    response = client.post(_url("staff-password-reset", officer))
    assert response["Location"] == _url("account-password-slip", officer)
    temporary = _temporary(client.get(response["Location"]).content.decode())
    officer.refresh_from_db()
    assert officer.check_password(temporary)
    assert not AccessAttempt.objects.filter(username=officer.username).exists()
    # The old session no longer opens the back office.
    assert logged_in.get(reverse("backoffice:index")).status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.STAFF_PASSWORD_RESET)
    assert (event.actor, event.region_id) == (province, personas.region.pk)


def test_province_unlocks_an_account(client, personas, province):
    _attempt(personas.staff.username, failures=5)
    _attempt(personas.outsider_staff.username, failures=2)
    client.force_login(province)
    page = client.get(LIST).content.decode()
    assert "5 次" in page
    assert "解除登录锁定" in page
    response = client.post(_url("staff-unlock", personas.staff))
    assert response["Location"] == LIST
    assert not AccessAttempt.objects.filter(username=personas.staff.username)
    assert AccessAttempt.objects.filter(username=personas.outsider_staff.username)
    event = AuditEvent.objects.get(action=AuditAction.STAFF_UNLOCK)
    assert event.after == {"account": "carol_staff", "records": 1}
    assert "已解除" in client.get(LIST).content.decode()


def test_province_deactivates_and_reactivates_an_account(personas, province):
    officer = personas.staff
    logged_in = Client()
    logged_in.force_login(officer)
    client = Client()
    client.force_login(province)
    client.post(_url("staff-active", officer), {"active": "0"})
    officer.refresh_from_db()
    assert not officer.is_active
    assert logged_in.get(reverse("backoffice:index")).status_code == 302
    assert not _logs_in(officer.username, testing.TEST_PASSWORD)
    assert "已停用" in client.get(LIST).content.decode()
    client.post(_url("staff-active", officer), {"active": "0"})  # already: no-op
    client.post(_url("staff-active", officer), {"active": "1"})
    officer.refresh_from_db()
    assert officer.is_active
    actions = list(
        AuditEvent.objects.filter(action__startswith="staff.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [AuditAction.STAFF_DEACTIVATE, AuditAction.STAFF_ACTIVATE]


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("staff-list", "get"),
        ("staff-list", "post"),
        ("staff-password-reset", "post"),
        ("staff-unlock", "post"),
        ("staff-active", "post"),
    ],
)
def test_regional_staff_and_other_kinds_are_refused(client, personas, name, method):
    target = personas.outsider_staff
    _attempt(target.username)
    url = LIST if name == "staff-list" else _url(name, target)
    data = {"username": "sneaky", "display_name": "x", "active": "0"}
    before = (User.objects.count(), target.password, AccessAttempt.objects.count())
    for user in (personas.staff, personas.pensioner_user, personas.unit_user):
        client.force_login(user)
        assert getattr(client, method)(url, data).status_code == 403
    client.logout()
    assert getattr(client, method)(url, data).status_code == 302  # staff login
    target.refresh_from_db()
    assert target.is_active
    assert before == (
        User.objects.count(),
        target.password,
        AccessAttempt.objects.count(),
    )
    assert not AuditEvent.objects.filter(action__startswith="staff.")


def test_only_regional_staff_accounts_are_kept_here(client, personas, province):
    other_province = testing.make_staff_user(None, username="quin_province")
    client.force_login(province)
    for account in (other_province, personas.pensioner_user, personas.unit_user):
        assert client.post(_url("staff-password-reset", account)).status_code == 404
        assert client.post(_url("staff-active", account)).status_code == 404
    assert client.get(_url("staff-unlock", personas.staff)).status_code == 405


def test_the_services_refuse_anyone_but_province_staff(personas, province):
    with pytest.raises(AccountError):
        staff.create_staff_account(
            acting_user=personas.staff,
            username="n1",
            display_name="n",
            region=personas.region,
        )
    with pytest.raises(AccountError):
        staff.unlock_staff_account(
            acting_user=personas.staff, account=personas.outsider_staff, ip=None
        )
    with pytest.raises(AccountError):
        staff.reset_staff_password(
            acting_user=province, account=personas.pensioner_user, ip=None
        )
    assert not staff.is_province_staff(personas.unit_user)
    assert staff.is_province_staff(province)


def test_the_staff_list_is_in_the_province_menu_only(client, personas, province):
    client.force_login(province)
    assert LIST in client.get(reverse("backoffice:index")).content.decode()
    client.force_login(personas.staff)
    assert LIST not in client.get(reverse("backoffice:index")).content.decode()
