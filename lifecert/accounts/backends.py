"""Authentication backend: the account and its unit bindings in one statement."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

from lifecert.core.rows import Columns
from lifecert.registry.models import Unit

from .models import UnitBinding, User

_USER = Columns(User, "u")
_BINDING = Columns(UnitBinding, "b")
_UNIT = Columns(Unit, "n")


_STATEMENTS: dict[str, str] = {}  # by database alias


def _statement(connection: Any) -> str:
    """Account, bindings and units; names from model metadata only."""
    try:
        return _STATEMENTS[connection.alias]
    except KeyError:
        pass
    user_id = _USER.column(connection, "id")
    binding_account = _BINDING.column(connection, "account")
    binding_unit = _BINDING.column(connection, "unit")
    unit_id = _UNIT.column(connection, "id")
    sql = _STATEMENTS[connection.alias] = (
        f"SELECT {_USER.select(connection)}, {_BINDING.select(connection)},"  # noqa: S608 identifiers from model metadata
        f" {_UNIT.select(connection)} FROM {_USER.table(connection)}"
        f" LEFT JOIN {_BINDING.table(connection)} ON {binding_account} = {user_id}"
        f" LEFT JOIN {_UNIT.table(connection)} ON {unit_id} = {binding_unit}"
        f" WHERE {user_id} = %s ORDER BY {_BINDING.column(connection, 'id')}"
    )
    return sql


class AccountBackend(ModelBackend):
    """``ModelBackend`` whose ``get_user`` also loads a unit account's bindings.

    ``get_user`` runs on every request; it reads the account, its unit
    bindings and their units in one statement (a unit page needs all three
    for the 多绑切换 menu) and keeps the bindings, ordered by id, on
    ``user.loaded_bindings`` for ``access.bindings_of``. Everything is read
    afresh on every request: an unbound unit is gone from the next page on.
    """

    def authenticate(
        self,
        request: Any,
        username: str | None = None,
        password: str | None = None,
        kind: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        """Django's password check; with ``kind``, only an account of that kind
        (a unit login page never logs a staff account in). A refusal is a failed
        login to django-axes, counted like a wrong password."""
        user = super().authenticate(request, username, password, **kwargs)
        if user is None or (kind is not None and user.kind != kind):
            return None
        assert isinstance(user, User)  # noqa: S101 AUTH_USER_MODEL
        return user

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        connection = connections[router.db_for_read(User)]
        with connection.cursor() as cursor:
            cursor.execute(_statement(connection), [pk])
            rows = cursor.fetchall()
        if not rows:
            return None
        users, bindings = len(_USER), len(_BINDING)
        user: User = _USER.instance(rows[0][:users], connection)
        loaded = []
        for row in rows:
            if row[users] is None:  # LEFT JOIN: no binding
                continue
            binding = _BINDING.instance(row[users : users + bindings], connection)
            binding.unit = _UNIT.instance(row[users + bindings :], connection)
            binding.account = user
            loaded.append(binding)
        user.loaded_bindings = loaded
        return user if self.user_can_authenticate(user) else None
