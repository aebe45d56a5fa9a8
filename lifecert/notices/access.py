"""Who reads which notice: the only way views fetch notices.

Published notices are public (the portal's home page and lists, for anyone);
staff manage their region's notices, the province every notice, including
the province-wide ones (no region).
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from lifecert.accounts.access import parse_uuid

from .models import Notice

HOME_PER_CATEGORY = 6


def visible_notices(*, region_code: str = "", category: str = "") -> QuerySet[Notice]:
    """Notices anyone may read now, newest first; for ``region_code`` that
    region's and the province-wide ones."""
    notices = Notice.objects.visible().select_related("region").defer("attachment_data")
    if region_code:
        notices = notices.filter(Q(region__code=region_code) | Q(region__isnull=True))
    if category:
        notices = notices.filter(category=category)
    return notices


def latest_notices(per_category: int = HOME_PER_CATEGORY) -> list[dict[str, Any]]:
    """For the home page: each category with its newest visible notices."""
    return [
        {
            "category": value,
            "label": label,
            "notices": list(visible_notices(category=value)[:per_category]),
        }
        for value, label in Notice.Category.choices
    ]


def access_visible_notice(public_id: Any) -> Notice:
    """A notice anyone may read now; 404 before its publication, after its
    withdrawal, or for no such notice."""
    return get_object_or_404(visible_notices(), public_id=parse_uuid(public_id))


def notices_for_staff(user: Any) -> QuerySet[Notice]:
    """The notices a staff member manages: their region's; all for the province."""
    notices = Notice.objects.select_related("region", "created_by").defer(
        "attachment_data"
    )
    if user.staff_region_id is None:
        return notices
    return notices.filter(region_id=user.staff_region_id)


def access_notice_for_staff(user: Any, public_id: Any) -> Notice:
    """A notice the staff member manages; 404 for any other."""
    return get_object_or_404(notices_for_staff(user), public_id=parse_uuid(public_id))


def access_attachment_notice(user: Any, public_id: Any) -> Notice:
    """A notice whose attachment ``user`` may download: a visible one for
    anyone, and for staff also one they manage (before it is published);
    with its content."""
    notice_id = parse_uuid(public_id)
    if getattr(user, "is_authenticated", False) and user.kind == "staff":
        managed = (
            notices_for_staff(user).defer(None).filter(public_id=notice_id).first()
        )
        if managed is not None:
            return managed
    return get_object_or_404(visible_notices().defer(None), public_id=notice_id)
