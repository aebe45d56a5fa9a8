"""The reads of every request: session and account with bindings, one each.

The session store is Django's own (``django.contrib.sessions.backends.db``).
"""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from lifecert.accounts.backends import AccountBackend
from lifecert.accounts.models import UnitBinding
from lifecert.core.rows import CompiledRead
from lifecert.core.testing import make_personal_user, make_unit, make_unit_user
from lifecert.registry.models import Unit

pytestmark = pytest.mark.django_db


def test_one_statement_reads_the_account_its_bindings_and_their_units(
    django_assert_num_queries,
):
    first, second = make_unit(), make_unit()
    user = make_unit_user(second, first)  # bound to `second` first
    with django_assert_num_queries(1):
        loaded = AccountBackend().get_user(str(user.pk))
        assert loaded is not None
        bindings = loaded.loaded_bindings
        assert [b.unit.number for b in bindings] == [second.number, first.number]
        assert [b.unit.name for b in bindings] == [second.name, first.name]
        assert all(b.account is loaded for b in bindings)
    # The same values, of the same types, as the ORM gives.
    assert loaded.date_joined == user.date_joined
    assert loaded.date_joined.tzinfo is not None
    assert isinstance(loaded.public_id, uuid.UUID)
    assert isinstance(bindings[0].public_id, uuid.UUID)
    assert loaded.is_active is True
    assert bindings[0] == UnitBinding.objects.get(account=user, unit=second)
    assert not loaded._state.adding


def test_accounts_without_bindings_unknown_ids_and_inactive_accounts():
    person_user = make_personal_user()
    loaded = AccountBackend().get_user(person_user.pk)
    assert loaded == person_user
    assert loaded.loaded_bindings == []
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


def test_a_unit_page_reads_session_and_account_in_two_statements(
    django_assert_num_queries,
):
    user = make_unit_user(make_unit())
    client = Client()
    client.force_login(user)
    with django_assert_num_queries(2):  # session; account + bindings + units
        response = client.get(reverse("employer:index"))
    assert response.status_code == 200
    assert user.bindings.get().unit.number in response.content.decode()


def test_compiled_read_runs_the_compiled_sql_with_new_values():
    units = [make_unit(), make_unit()]
    read = CompiledRead(
        lambda number: Unit.objects.filter(number=number).values_list("number", "name"),
        "\x00number",
    )
    for unit in units:
        assert read.rows(unit.number) == [(unit.number, unit.name)]
    assert read.rows("none such") == []


def test_compiled_read_refuses_a_queryset_whose_parameters_differ():
    read = CompiledRead(
        lambda number: Unit.objects.filter(number=number, name="x").values_list("id"),
        "\x00number",
    )
    with pytest.raises(ValueError, match="not the sentinels"):
        read.rows("1")
    with pytest.raises(ValueError, match="distinct"):
        CompiledRead(lambda a, b: None, "s", "s")
