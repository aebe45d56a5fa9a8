"""Authentication backend: Django's ``ModelBackend``, by kind, with unit bindings."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from .models import UnitBinding, User


def bindings_prefetch() -> "Prefetch[str, QuerySet[UnitBinding], str]":
    """A unit account's bindings with their units, oldest first, onto
    ``user.loaded_bindings`` (what ``access.bindings_of`` returns)."""
    return Prefetch(
        "bindings",
        queryset=UnitBinding.objects.select_related("unit").order_by("id"),
        to_attr="loaded_bindings",
    )


class AccountBackend(ModelBackend):
    """``ModelBackend`` whose ``get_user`` also loads a unit account's bindings.

    ``get_user`` runs on every request. It is Django's own (the account by
    primary key, refused when inactive); for a unit account one more ORM query
    reads its bindings with their units (a unit page needs all of them for the
    多绑切换 menu) onto ``user.loaded_bindings``. Everything is read afresh on
    every request: an unbound unit is gone from the next page on.
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
            # A session holding something that is no primary key logs nobody in.
            User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = super().get_user(user_id)
        if user is None:
            return None
        assert isinstance(user, User)  # noqa: S101 AUTH_USER_MODEL
        if user.kind == User.Kind.UNIT:
            prefetch_related_objects([user], bindings_prefetch())
        return user
