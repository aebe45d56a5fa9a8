"""Region-scoped reads of system tokens: the only way staff pages fetch them."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import ApiToken


def tokens_for_staff(user: Any) -> QuerySet[ApiToken]:
    """Province staff: every token. Regional staff: their region's, not the
    province-wide ones (those reach every region)."""
    tokens = ApiToken.objects.select_related("region", "created_by")
    if user.staff_region_id is None:
        return tokens
    return tokens.filter(region_id=user.staff_region_id)


def access_token(user: Any, public_id: Any) -> ApiToken:
    """A token the staff user may manage; 404 otherwise."""
    return get_object_or_404(tokens_for_staff(user), public_id=public_id)
