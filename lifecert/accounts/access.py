"""Who may enter which side, and the current region / unit of a session."""

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse

from lifecert.core.redirects import login_redirect
from lifecert.registry.access import persons_for_staff, units_for_staff

from .models import UnitBinding, User

_LOGIN_ROUTES: dict[str, str] = {
    User.Kind.PERSONAL: "accounts:personal-login",
    User.Kind.UNIT: "accounts:unit-login",
    User.Kind.STAFF: "accounts:staff-login",
}

SESSION_REGION = "region_code"
SESSION_BINDING = "unit_binding"

ViewFunc = Callable[..., HttpResponseBase]


class AuthenticatedRequest(HttpRequest):
    """A request past ``kind_required``: ``user`` is a logged-in ``User``.

    For the views behind ``personal_required``, ``unit_required`` and
    ``staff_required``. For annotations only: Django passes a plain
    ``HttpRequest``.
    """

    user: User


def kind_required(kind: str) -> Callable[[ViewFunc], ViewFunc]:
    """Anonymous users go to the login of ``kind``; other kinds get 403.

    The view may annotate its ``request`` as ``AuthenticatedRequest``.
    """

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(
            request: HttpRequest, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return login_redirect(request, reverse(_LOGIN_ROUTES[kind]))
            if user.kind != kind:
                raise PermissionDenied("该页面不属于您的账号类型。")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


personal_required = kind_required(User.Kind.PERSONAL)
unit_required = kind_required(User.Kind.UNIT)
staff_required = kind_required(User.Kind.STAFF)


def province_required(view: ViewFunc) -> ViewFunc:
    """Province staff only (no region): other staff get 403, as ``staff_required``
    treats everyone else."""

    @staff_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request.user, "staff_region_id", None) is not None:
            raise PermissionDenied("只有省级经办人员可以办理此项业务。")
        return view(request, *args, **kwargs)

    return wrapper


def account_bindings(user: User) -> QuerySet[UnitBinding]:
    return user.bindings.select_related("unit").order_by("id")


def bindings_of(user: User) -> list[UnitBinding]:
    """The account's bindings with their units, oldest first.

    Those ``AccountBackend.get_user`` read at the start of this request for
    a unit account (no second query), else from the database.
    """
    loaded: list[UnitBinding] | None = getattr(user, "loaded_bindings", None)
    if loaded is not None:
        return loaded
    return list(account_bindings(user))


def current_binding(
    request: AuthenticatedRequest, bindings: list[UnitBinding] | None = None
) -> UnitBinding | None:
    """The unit number the unit account works on now (多绑切换); first by default.

    ``bindings``: the account's bindings when the caller has read them already.
    """
    if bindings is None:
        bindings = bindings_of(request.user)
    chosen = request.session.get(SESSION_BINDING)
    for binding in bindings:
        if str(binding.public_id) == chosen:
            return binding
    return bindings[0] if bindings else None


def access_binding(user: User, public_id: Any) -> UnitBinding:
    """The account's own binding by public id; 404 for anyone else's."""
    return get_object_or_404(
        UnitBinding.objects.select_related("unit"),
        public_id=parse_uuid(public_id),
        account=user,
    )


def parse_uuid(value: Any) -> uuid.UUID:
    """A UUID from a URL or form value; 404 for anything malformed."""
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404("无效的编号。") from exc


def access_account_for_staff(
    user: User, public_id: Any, *, staff_accounts: bool = False
) -> User:
    """A personal or unit account a staff member may act on at the counter:
    a personal account of a person of their region, a unit account bound to a
    unit of their region (provincial staff: all). 404 for any other.

    ``staff_accounts``: province staff also reach the regional staff accounts
    they keep (the password slip serves both)."""
    personal = Q(kind=User.Kind.PERSONAL, person__in=persons_for_staff(user))
    unit = Q(
        kind=User.Kind.UNIT,
        pk__in=UnitBinding.objects.filter(unit__in=units_for_staff(user)).values(
            "account_id"
        ),
    )
    allowed = personal | unit
    if staff_accounts and user.staff_region_id is None:
        allowed |= Q(kind=User.Kind.STAFF, staff_region__isnull=False)
    return get_object_or_404(User.objects.filter(allowed), public_id=public_id)


def access_regional_staff(user: User, public_id: Any) -> User:
    """A regional staff account, for province staff (``province_required``);
    404 for any other account, the province's own included."""
    return get_object_or_404(
        User.objects.filter(kind=User.Kind.STAFF, staff_region__isnull=False),
        public_id=parse_uuid(public_id),
    )
