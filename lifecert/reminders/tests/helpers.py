"""Pensioners due on a chosen day, at a fixed local time."""

import datetime
import zoneinfo
from typing import Any

from lifecert.certification import cycle
from lifecert.demo import testing

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
TODAY = NOW.date()


def due_in(days: int, *, phone: str = "13800138000", **extra: Any) -> Any:
    """An entitlement whose next certification is due ``days`` after TODAY."""
    person = extra.pop("person", None) or testing.make_person(phone=phone)
    entitlement = testing.make_entitlement(person=person, **extra)
    base = cycle.add_months(TODAY + datetime.timedelta(days=days), -12)
    testing.make_certification(
        entitlement,
        certified_at=datetime.datetime.combine(base, datetime.time(10), SHANGHAI),
    )
    entitlement.refresh_from_db()
    assert cycle.due_date_of(entitlement) == TODAY + datetime.timedelta(days=days)
    return entitlement
