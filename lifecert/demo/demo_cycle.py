"""Demo data that shows the certification cycle at work.

The generator (``demo.generate``) gives the whole population its place in the
cycle: most certified within the year, some due within 30 days, some overdue
and waiting for the next run, some stopped by one of the monthly scheduled
runs (their suspension date kept) and some resumed with back pay. This module
holds the monthly runs those rows point to, and the few stories of the demo
unit (4401000001, 广州) that go through the services themselves — a death with
an overpayment, a unit certification dated after a death with its case, a
review waiting for staff — so that every working list a new user opens has
rows, in the demo region and the demo unit.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from lifecert.certification import cycle, services
from lifecert.certification.face_sessions import REVIEW_REASON
from lifecert.certification.models import ReviewRequest, SuspensionRun
from lifecert.registry.models import Entitlement

# The monthly scheduled runs of this many months before this one (this
# month's has not run yet: the overdue wait for it). A suspended pension was
# stopped by one of them; a resumed one, by one of the last nine.
RUN_MONTHS = 12
RUN_HOUR = 2  # the scheduled run starts at 02:00 local time on the 1st

# Demo unit persons (index of the generated person) and the part each plays.
# Person 0 is the demo pensioner 杨书维 and keeps an ordinary history.
ROLES = {
    1: "due_soon",
    2: "overdue",
    3: "suspended",
    4: "back_pay",
    5: "died",
    6: "certified_after_death",
    8: "review",
}
DEMO_OPERATOR = "王经办"  # the demo unit account's bound operator
# Days since the last certification of each part's person.
ROLE_RECENT = {
    "due_soon": 355,  # due in about ten days
    "overdue": 380,  # two weeks past the due date, waiting for the next run
    "back_pay": 3,  # resumed three days ago
    "died": 200,  # certified well before the death recorded below
    "certified_after_death": 5,  # by the demo unit, after the death
    "review": 300,
}
ROLE_BACK_MONTHS = 3


@dataclass
class Place:
    """Where one generated entitlement stands in the cycle."""

    status: str
    recent: int  # days since the last certification
    run_day: datetime.date | None = None  # the run that stopped it (suspended)
    back_months: int = 0  # resumed with this many months to pay back


class Placer:
    """Draws each generated entitlement's place in the cycle.

    Of the normal ones 8 % were certified this month, 2 % are overdue and wait
    for the next run, 2 % were resumed in the last 90 days with back pay and
    the rest certified within the year (about one in twelve due within 30
    days). Suspended ones were stopped by one of the last 12 monthly runs,
    overdue since a day after the run before it.
    """

    def __init__(self, rand: Any, today: datetime.date) -> None:
        self.rand = rand
        self.today = today
        self.runs = run_days(today)
        self.months = cycle.cycle_months()

    def place(self, status: str, role: str | None) -> Place:
        rand = self.rand
        if status == "suspended":
            run = self.runs[1 if role else int(rand() * RUN_MONTHS)]
            last = cycle.add_months(run, -self.months) - datetime.timedelta(
                days=1 + int(rand() * 27)
            )
            return Place(status, (self.today - last).days, run_day=run)
        if status != "normal":
            return Place(status, 380 + int(rand() * 320))
        if role is not None:
            back = ROLE_BACK_MONTHS if role == "back_pay" else 0
            return Place(status, ROLE_RECENT[role], back_months=back)
        pick = rand()
        if pick < 0.08:
            return Place(status, int(rand() * self.today.day))
        if pick < 0.10:
            return Place(status, 366 + int(rand() * 30))
        if pick < 0.12:
            return Place(status, int(rand() * 90), back_months=1 + int(rand() * 6))
        return Place(status, 5 + int(rand() * 360))


def resumed_on(last: datetime.datetime) -> datetime.date:
    """The local day of a resumption at ``last`` (naive UTC, as generated)."""
    return timezone.localdate(last.replace(tzinfo=datetime.UTC))


def back_pay_since(resumed: datetime.date, months: int) -> datetime.date:
    """The monthly run ``months`` before the month of ``resumed``."""
    return cycle.add_months(resumed.replace(day=1), -months)


def run_days(today: datetime.date) -> list[datetime.date]:
    """The 1st of each of the ``RUN_MONTHS`` months before this one, newest first."""
    first = today.replace(day=1)
    return [cycle.add_months(first, -k) for k in range(1, RUN_MONTHS + 1)]


def make_runs(now: datetime.datetime) -> dict[datetime.date, int]:
    """The monthly scheduled runs (定时任务) of the last year; run day -> pk.

    Their counts are filled in by ``count_runs`` once the rows that point to
    them are loaded.
    """
    today = timezone.localdate(now)
    runs = {}
    for day in run_days(today):
        at = cycle.local_midnight(day) + datetime.timedelta(hours=RUN_HOUR)
        run = SuspensionRun.objects.create(
            run_at=at,
            run_on=day,
            run_by=None,
            run_by_label="定时任务",
            source=SuspensionRun.Source.SCHEDULE,
            region=None,
            count=0,
        )
        runs[day] = run.pk
    return runs


def count_runs() -> None:
    """Set each run's count to the entitlements it lists; a run that stopped
    nobody is not kept (as ``run_suspension`` keeps none)."""
    counts = (
        SuspensionRun.objects.filter(pk=OuterRef("pk"))
        .annotate(n=Count("entitlements"))
        .values("n")
    )
    SuspensionRun.objects.filter(count=0).update(count=Subquery(counts))
    SuspensionRun.objects.filter(count=0).delete()


def tell_stories(
    roles: dict[str, int], *, staff: Any, today: datetime.date | None = None
) -> None:
    """The demo unit's stories that only the services can write consistently.

    ``roles`` maps each part of ``ROLES`` to the generated person's id (only
    the parts the load was big enough for). Deaths are recorded by ``staff``
    as a death-record import would: the one whose unit certified after the
    date of death gets a case naming the unit and its operator, and the
    overpayment is attributed to it.
    """
    today = today or timezone.localdate()
    in_demo_unit = Entitlement.objects.filter(unit__number="4401000001").select_related(
        "person"
    )
    if "died" in roles:
        # Died in the middle of the month before last: paid since, to recover.
        died = cycle.add_months(today.replace(day=15), -2)
        services.record_death(
            entitlement=in_demo_unit.get(person_id=roles["died"]),
            death_date=died,
            acting_user=staff,
            today=today,
        )
    if "certified_after_death" in roles:
        # The unit certified them five days ago; the death record says 40 days.
        services.record_death(
            entitlement=in_demo_unit.get(person_id=roles["certified_after_death"]),
            death_date=today - datetime.timedelta(days=40),
            acting_user=staff,
            today=today,
        )
    if "review" in roles:
        entitlement = in_demo_unit.get(person_id=roles["review"])
        ReviewRequest.objects.create(
            person_id=entitlement.person_id,
            region_id=entitlement.region_id,
            reason=REVIEW_REASON,
        )
