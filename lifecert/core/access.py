"""Region-scoped reads of the audit log: the only way staff pages fetch it."""

from typing import Any

from django.db.models import QuerySet

from .models import AuditEvent


def audit_events_for_staff(user: Any) -> QuerySet[AuditEvent]:
    """Events of the staff user's region; every event for provincial staff.

    An event with no region (a system job, an account without one) is the
    province's to read.
    """
    events = AuditEvent.objects.select_related("region")
    if user.staff_region_id is None:
        return events
    return events.filter(region_id=user.staff_region_id)
