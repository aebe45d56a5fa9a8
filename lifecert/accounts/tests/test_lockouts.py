"""Password guessing, as an attacker would try it (issue 11): django-axes on
every password entry, keyed so a stranger cannot lock a real user out."""

import pytest
from django.test import Client
from django.urls import reverse

from lifecert.accounts.models import UnitBinding, User
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import TEST_PASSWORD, make_ssn, make_user

pytestmark = pytest.mark.django_db
UNIT_LOGIN = reverse("accounts:unit-login")
STAFF_LOGIN = reverse("accounts:staff-login")
ADMIN_LOGIN = reverse("admin:login")
BIND_OLD = reverse("accounts:unit-bind-old")


def _from(address: str, **extra: str) -> Client:
    return Client(REMOTE_ADDR=address, **extra)


def _guess(client: Client, url: str, username: str, times: int) -> None:
    for n in range(times):
        client.post(url, {"username": username, "password": f"guess-{n}"})


def test_admin_login_locks_after_five_wrong_passwords(personas):
    personas.staff.is_superuser = True
    personas.staff.save(update_fields=["is_superuser"])
    attacker = _from("203.0.113.5")
    _guess(attacker, ADMIN_LOGIN, "carol_staff", 5)
    response = attacker.post(
        ADMIN_LOGIN, {"username": "carol_staff", "password": TEST_PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in attacker.session
    assert attacker.get(reverse("backoffice:index")).status_code == 302
    # The lock covers the staff login page too: one count per username + address.
    response = attacker.post(
        STAFF_LOGIN, {"username": "carol_staff", "password": TEST_PASSWORD}
    )
    assert response.status_code == 429


def test_a_stranger_cannot_lock_a_real_user_out(personas):
    stranger = _from("203.0.113.66")
    _guess(stranger, UNIT_LOGIN, "bob_unit", 20)
    assert (
        stranger.post(
            UNIT_LOGIN, {"username": "bob_unit", "password": TEST_PASSWORD}
        ).status_code
        == 429
    )
    bob = _from("198.51.100.7")
    response = bob.post(UNIT_LOGIN, {"username": "bob_unit", "password": TEST_PASSWORD})
    assert response.status_code == 302


def test_guessing_from_many_addresses_meets_the_per_account_limit(personas, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 12
    for n in range(3):  # four tries from each: no single address locks
        _guess(_from(f"203.0.113.{n + 1}"), UNIT_LOGIN, "bob_unit", 4)
    response = _from("203.0.113.99").post(
        UNIT_LOGIN, {"username": "bob_unit", "password": TEST_PASSWORD}
    )
    assert response.status_code == 429


def test_one_guess_from_each_address_of_an_ipv6_network_meets_the_lock(
    personas, settings
):
    """django-axes counts an IPv6 caller by its /64, as our throttles do; the
    audit log keeps each whole address."""
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 100  # not what stops this caller
    for n in range(5):
        _guess(_from(f"2001:db8:7:1::{n + 1:x}"), UNIT_LOGIN, "bob_unit", 1)
    response = _from("2001:db8:7:1:abcd::9").post(
        UNIT_LOGIN, {"username": "bob_unit", "password": TEST_PASSWORD}
    )
    assert response.status_code == 429
    bob = _from("2001:db8:7:2::1")
    response = bob.post(UNIT_LOGIN, {"username": "bob_unit", "password": TEST_PASSWORD})
    assert response.status_code == 302
    locks = AuditEvent.objects.filter(action="account.lock")
    assert set(locks.values_list("ip", flat=True)) == {
        "2001:db8:7:1::5",
        "2001:db8:7:1:abcd::9",
    }


def test_unknown_and_real_accounts_get_the_same_answers(personas):
    real, unknown = _from("203.0.113.10"), _from("203.0.113.11")
    for n in range(4):
        a = real.post(UNIT_LOGIN, {"username": "bob_unit", "password": f"x{n}"})
        b = unknown.post(UNIT_LOGIN, {"username": "nobody_here", "password": f"x{n}"})
        assert a.status_code == b.status_code == 200
        for page in (a.content.decode(), b.content.decode()):
            assert "账号或密码错误。" in page
            assert "再错" not in page
    a = real.post(UNIT_LOGIN, {"username": "bob_unit", "password": "x"})
    b = unknown.post(UNIT_LOGIN, {"username": "nobody_here", "password": "x"})
    assert a.status_code == b.status_code == 429
    assert a.content == b.content


def test_a_right_password_on_the_wrong_login_page_is_a_failure(personas):
    response = _from("203.0.113.12").post(
        UNIT_LOGIN, {"username": "carol_staff", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert "账号或密码错误。" in response.content.decode()


def test_old_account_binding_guessing_is_counted_locked_and_audited(personas):
    thief = make_user(User.Kind.UNIT, username="thief_unit")
    client = _from("203.0.113.20")
    client.force_login(thief)
    data = {
        "old_username": "bob_unit",
        "old_password": "wrong",
        "operator_name": "陈经办",
        "operator_phone": "13712345678",
        "operator_id_number": make_ssn(born="19800101"),
    }
    for n in range(4):
        data["old_password"] = f"wrong-{n}"
        response = client.post(BIND_OLD, data)
        assert "旧账号或密码不正确" in response.content.decode()
    data["old_password"] = "wrong-last"
    assert client.post(BIND_OLD, data).status_code == 429
    # The right password no longer helps.
    data["old_password"] = TEST_PASSWORD
    assert client.post(BIND_OLD, data).status_code == 429
    assert not UnitBinding.objects.filter(account=thief).exists()
    failures = AuditEvent.objects.filter(
        action="binding.old_account_failure", actor=thief
    )
    assert failures.count() == 6
    assert failures.first().after == {"old_username": "bob_unit"}


def test_password_change_locks_after_five_wrong_old_passwords(personas):
    client = _from("203.0.113.30")
    client.force_login(personas.pensioner_user)
    data = {"password1": "Ab-cdef-99999", "password2": "Ab-cdef-99999"}
    for n in range(5):
        client.post(reverse("accounts:password"), {**data, "old_password": f"w{n}"})
    response = client.post(
        reverse("accounts:password"), {**data, "old_password": TEST_PASSWORD}
    )
    assert response.status_code == 429
    personas.pensioner_user.refresh_from_db()
    assert personas.pensioner_user.check_password(TEST_PASSWORD)


def test_the_admin_password_change_is_no_way_round_the_lock(personas):
    """/admin/password_change/ checked the old password outside axes (eight
    wrong, then the right one changed it, unaudited): it now leads to 修改密码."""
    client = _from("203.0.113.31")
    client.force_login(personas.staff)
    admin_change = reverse("admin:password_change")
    data = {"new_password1": "Ab-cdef-99999", "new_password2": "Ab-cdef-99999"}
    for old in [f"w{n}" for n in range(8)] + [TEST_PASSWORD]:
        response = client.post(admin_change, {**data, "old_password": old})
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:password")
    personas.staff.refresh_from_db()
    assert personas.staff.check_password(TEST_PASSWORD)
    assert client.get(admin_change)["Location"] == reverse("accounts:password")


def test_a_forged_forwarded_for_header_changes_nothing_by_default(personas):
    # Without a trusted proxy, X-Forwarded-For is the client's own word.
    for n in range(5):
        _from("203.0.113.40", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}").post(
            UNIT_LOGIN, {"username": "bob_unit", "password": f"x{n}"}
        )
    response = _from("203.0.113.40", HTTP_X_FORWARDED_FOR="10.1.1.1").post(
        UNIT_LOGIN, {"username": "bob_unit", "password": TEST_PASSWORD}
    )
    assert response.status_code == 429


def test_behind_a_trusted_proxy_clients_are_told_apart(personas, settings):
    # One proxy of ours (TRUSTED_PROXY_COUNT=1): it appends the address it saw.
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    proxy = "10.0.0.2"
    for n in range(5):  # the guesser also forges the header: no escape
        _from(proxy, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.50").post(
            UNIT_LOGIN, {"username": "bob_unit", "password": f"x{n}"}
        )
    locked = _from(proxy, HTTP_X_FORWARDED_FOR="203.0.113.50").post(
        UNIT_LOGIN, {"username": "bob_unit", "password": TEST_PASSWORD}
    )
    assert locked.status_code == 429
    bob = _from(proxy, HTTP_X_FORWARDED_FOR="198.51.100.8").post(
        UNIT_LOGIN, {"username": "bob_unit", "password": TEST_PASSWORD}
    )
    assert bob.status_code == 302
    event = AuditEvent.objects.filter(action="account.lock").first()
    assert event is not None
    assert event.ip == "203.0.113.50"


def test_axes_keeps_no_password_or_id_number_of_a_failure(personas):
    from axes.models import AccessAttempt

    client = _from("203.0.113.60")
    client.force_login(personas.unit_user)
    id_number = make_ssn(born="19800101")
    client.post(
        BIND_OLD,
        {
            "old_username": "dave_unit",
            "old_password": "secret-guess-1",
            "operator_name": "陈经办",
            "operator_phone": "13712345678",
            "operator_id_number": id_number,
        },
    )
    client.post(
        reverse("accounts:password"),
        {
            "old_password": "secret-guess-2",
            "password1": "New-secret-3",
            "password2": "New-secret-3",
        },
    )
    stored = " ".join(a.post_data + a.get_data for a in AccessAttempt.objects.all())
    assert AccessAttempt.objects.count() == 2
    for secret in ("secret-guess", "New-secret", id_number, "13712345678", "陈经办"):
        assert secret not in stored
