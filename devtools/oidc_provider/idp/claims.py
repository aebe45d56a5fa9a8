"""Claims: the real name (``name``) and, for the ``idcard`` scope, the ID
number (``id_number``), as the provincial platform gives them."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from oidc_provider.lib.claims import ScopeClaims


def _identity(user: Any) -> Any:
    return getattr(user, "identity", None)


def userinfo(claims: dict[str, Any], user: Any) -> dict[str, Any]:
    identity = _identity(user)
    claims["name"] = identity.name if identity else user.get_username()
    claims["preferred_username"] = user.get_username()
    return claims


class IdCardScopeClaims(ScopeClaims):
    info_idcard = (_("ID number"), _("Your ID card number."))

    def scope_idcard(self) -> dict[str, Any]:
        identity = _identity(self.user)
        return {"id_number": identity.id_number if identity else ""}
