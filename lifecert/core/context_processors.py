from typing import Any

from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    kind = getattr(user, "kind", "") if user and user.is_authenticated else ""
    return {"account_kind": kind}
