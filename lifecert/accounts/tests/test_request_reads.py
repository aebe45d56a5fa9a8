"""The reads of every request: Django's session store and ``ModelBackend``.

A unit page reads the session, the account, and the account's bindings with
their units (one ORM query, kept on ``user.loaded_bindings``).
"""

import pytest
from django.test import Client
from django.urls import reverse

from lifecert.accounts.access import bindings_of
from lifecert.accounts.backends import AccountBackend
from lifecert.accounts.models import UnitBinding
from lifecert.demo.testing import make_personal_user, make_unit, make_unit_user

pytestmark = pytest.mark.django_db


def test_a_unit_account_comes_with_its_bindings_and_their_units_oldest_first(
    django_assert_num_queries,
):
    first, second = make_unit(), make_unit()
    user = make_unit_user(second, first)  # bound to `second` first
    with django_assert_num_queries(2):  # the account; bindings joined to units
        loaded = AccountBackend().get_user(str(user.pk))
    assert loaded is not None
    with django_assert_num_queries(0):  # read once, whoever asks
        bindings = bindings_of(loaded)
        assert bindings_of(loaded) == bindings
        assert [b.unit.number for b in bindings] == [second.number, first.number]
        assert [b.unit.name for b in bindings] == [second.name, first.name]
        assert all(b.account is loaded for b in bindings)
    assert loaded == user
    assert bindings[0] == UnitBinding.objects.get(account=user, unit=second)


def test_other_accounts_read_no_bindings(django_assert_num_queries):
    person_user = make_personal_user()
    with django_assert_num_queries(1):
        loaded = AccountBackend().get_user(person_user.pk)
    assert loaded == person_user
    assert not hasattr(loaded, "loaded_bindings")
    assert bindings_of(loaded) == []


def test_unknown_ids_malformed_ids_and_inactive_accounts_log_nobody_in():
    person_user = make_personal_user()
    assert AccountBackend().get_user(person_user.pk + 1000) is None
    assert AccountBackend().get_user("not-a-number") is None
    person_user.is_active = False
    person_user.save()
    assert AccountBackend().get_user(person_user.pk) is None


def test_a_binding_removed_is_gone_from_the_next_page():
    unit = make_unit()
    user = make_unit_user(unit)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("employer:index")).status_code == 200
    UnitBinding.objects.filter(account=user).delete()
    response = client.get(reverse("employer:index"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:unit-home")


def test_a_unit_page_reads_session_account_and_bindings_once_each(
    django_assert_num_queries,
):
    first, second = make_unit(), make_unit()
    user = make_unit_user(first, second)
    client = Client()
    client.force_login(user)
    with django_assert_num_queries(3):  # session; account; bindings + units
        response = client.get(reverse("employer:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert first.number in page
    assert second.number in page  # the 多绑切换 menu lists both


def test_the_binding_dialog_reads_the_bindings_once(django_assert_num_queries):
    user = make_unit_user(make_unit(), make_unit())
    client = Client()
    client.force_login(user)
    with django_assert_num_queries(3):  # session; account; bindings + units
        assert client.get(reverse("accounts:unit-home")).status_code == 200
