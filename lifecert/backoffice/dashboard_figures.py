"""The dashboard's cycle figures per region: counted, or read from a snapshot.

Counting is exact and uses index ranges only (``count_regions``), but at a
million pensions it still reads a million index entries: 100–200 ms on
SQLite, 300–500 ms on PostgreSQL (``docs/benchmarks.md``). So a region of at
least ``DASHBOARD_SNAPSHOT_MIN_PENSIONS`` pensions keeps its counts in a
``DashboardSnapshot`` and the page reads that row while it is

- of today (overdue and due soon move with the day),
- younger than ``DASHBOARD_SNAPSHOT_SECONDS``, and
- not older than the region's last bulk change: a suspension run or an
  import (registry, deaths, data comparison), found in the audit log.

Otherwise the region is counted and, when large, its snapshot replaced; the
scheduled ``manage.py refresh_dashboard`` does the same for every region so
that staff rarely wait. Certifications (one at the counter, or a unit's
list) and single status changes show once the snapshot is recounted; the page
shows when its figures were counted. Smaller regions are
always counted live, so their figures are exact.
"""

import datetime
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from lifecert.certification import cycle
from lifecert.certification.models import Certification, Channel
from lifecert.core.audit_actions import AuditAction
from lifecert.core.models import AuditEvent
from lifecert.registry.models import Entitlement, Region

from .models import DashboardSnapshot

MONTHS = 12
STATUSES = (Entitlement.Status.SUSPENDED, Entitlement.Status.TERMINATED)
# Audited bulk changes after which a region's snapshot is counted again: one
# audit row per run or import (region, or none for province-wide), so finding
# them reads a few rows on either index a planner picks (SQLite without
# ANALYZE statistics takes the action's). Per-pension rows (entitlement.suspend,
# certification.unit) would make that a walk of every one ever audited.
BULK_CHANGES = (
    AuditAction.SUSPENSION_RUN,
    AuditAction.REGISTRY_IMPORT,
    AuditAction.IMPORT_DEATHS,
    AuditAction.IMPORT_COMPARISON,
)


@dataclass
class RegionFigures:
    region: Region
    normal: int
    suspended: int
    terminated: int
    overdue: int
    due_soon: int
    by_month: list[int]  # the last MONTHS months, oldest first
    channels: dict[str, int]  # this month's certifications by channel

    @property
    def pensions(self) -> int:
        return self.normal + self.suspended + self.terminated


def month_firsts(today: datetime.date) -> list[datetime.date]:
    """The first days of the last ``MONTHS`` months, oldest first, and of the next."""
    this = today.replace(day=1)
    return [cycle.add_months(this, offset) for offset in range(1 - MONTHS, 2)]


# COUNT(*), not COUNT(id): SQLite counts the index entries without reading the
# key (a quarter faster at a million rows). Not an aggregate to Django, so no
# GROUP BY is added to the correlated subquery.
_COUNT_ROWS = Func(template="COUNT(*)", output_field=IntegerField())


def _count(condition: Q) -> Subquery:
    """Entitlements of the outer region meeting ``condition``: one index range."""
    rows = Entitlement.objects.filter(condition, region=OuterRef("pk")).order_by()
    return Subquery(
        rows.annotate(n=_COUNT_ROWS).values("n"), output_field=IntegerField()
    )


def channel_counts(region: Region, first: datetime.date) -> dict[str, int]:
    """The region's certifications since local ``first`` by channel: one range
    of ``cert_channel_time`` a channel, all in one ``UNION ALL`` (a GROUP BY
    would sort the month's rows). COUNT(*): PostgreSQL then counts the index
    entries alone (an index-only scan); COUNT(id) would read every row."""
    month = Certification.objects.filter(
        region=region, certified_at__gte=cycle.local_midnight(first)
    )
    each = [
        month.filter(channel=value).order_by().values("channel").annotate(n=Count("*"))
        for value in Channel.values
    ]
    return dict(each[0].union(*each[1:], all=True).values_list("channel", "n"))


def count_regions(
    regions: QuerySet[Region], today: datetime.date
) -> list[RegionFigures]:
    """The counts for each region. The cycle's in one query: the normal
    pensions as the disjoint parts of ``cycle.normal_by_last_certification``
    (never certified, before, each of the last 12 months, after), so one pass
    over the index gives both the status figure and the chart by month;
    overdue and due soon as their two parts each. Then this month's channels,
    one query a region."""
    parts = cycle.normal_by_last_certification(month_firsts(today))
    conditions = {f"p{index}": part for index, part in enumerate(parts)}
    overdue_parts = cycle.overdue_parts(today)
    due_parts = cycle.due_within_parts(cycle.DUE_SOON_DAYS, today)
    conditions |= {f"o{index}": part for index, part in enumerate(overdue_parts)}
    conditions |= {f"d{index}": part for index, part in enumerate(due_parts)}
    conditions |= {status.value: Q(status=status) for status in STATUSES}
    rows = regions.annotate(**{name: _count(q) for name, q in conditions.items()})
    figures = []
    for region in rows:
        counts = [getattr(region, f"p{index}") for index in range(len(parts))]
        figures.append(
            RegionFigures(
                region=region,
                normal=sum(counts),
                suspended=getattr(region, Entitlement.Status.SUSPENDED.value),
                terminated=getattr(region, Entitlement.Status.TERMINATED.value),
                overdue=getattr(region, "o0") + getattr(region, "o1"),  # noqa: B009
                due_soon=getattr(region, "d0") + getattr(region, "d1"),  # noqa: B009
                by_month=counts[2 : 2 + MONTHS],
                channels=channel_counts(region, today.replace(day=1)),
            )
        )
    return figures


def _stored(figures: RegionFigures) -> dict[str, Any]:
    values = asdict(figures)
    del values["region"]
    return values


def store(
    figures: Iterable[RegionFigures],
    today: datetime.date,
    started: datetime.datetime,
) -> None:
    """Keep ``figures``, counted for ``today``, as their regions' snapshots.

    They are dated when the count ``started``: a change audited while it ran
    may be missing from it, and is then newer than the snapshot."""
    DashboardSnapshot.objects.bulk_create(
        [
            DashboardSnapshot(
                region=item.region,
                as_of=today,
                computed_at=started,
                figures=_stored(item),
            )
            for item in figures
        ],
        update_conflicts=True,
        unique_fields=["region"],
        update_fields=["as_of", "computed_at", "figures"],
    )


def refresh(today: datetime.date | None = None) -> list[RegionFigures]:
    """Count every region and keep the counts (``manage.py refresh_dashboard``)."""
    started = timezone.now()
    today = today or timezone.localdate(started)
    figures = count_regions(Region.objects.order_by("code"), today)
    store(figures, today, started)
    return figures


# What a snapshot keeps: a row stored by older code with other figures is
# counted again and replaced, never read.
STORED = frozenset(field.name for field in fields(RegionFigures)) - {"region"}


def _usable(snapshots: list[DashboardSnapshot]) -> dict[int, DashboardSnapshot]:
    """The snapshots that no bulk change has overtaken, by region id."""
    large = [
        snapshot
        for snapshot in snapshots
        if set(snapshot.figures) == STORED
        and sum(snapshot.figures[s] for s in ("normal", "suspended", "terminated"))
        >= settings.DASHBOARD_SNAPSHOT_MIN_PENSIONS
    ]
    if not large:
        return {}
    oldest = min(snapshot.computed_at for snapshot in large)
    changed: dict[int | None, datetime.datetime] = dict(
        AuditEvent.objects.filter(at__gte=oldest, action__in=BULK_CHANGES)
        .order_by()
        .values("region_id")
        .annotate(last=Max("at"))
        .values_list("region_id", "last")
    )
    everywhere = changed.get(None)  # a province-wide run or import
    return {
        snapshot.region_id: snapshot
        for snapshot in large
        if all(
            last is None or last < snapshot.computed_at
            for last in (everywhere, changed.get(snapshot.region_id))
        )
    }


def region_figures(
    regions: QuerySet[Region], today: datetime.date
) -> tuple[list[RegionFigures], datetime.datetime]:
    """The figures of ``regions`` (in code order), and since when they hold:
    the oldest snapshot read, or now if every region was counted."""
    now = timezone.now()
    max_age = datetime.timedelta(seconds=settings.DASHBOARD_SNAPSHOT_SECONDS)
    ordered = list(regions.order_by("code"))
    fresh = DashboardSnapshot.objects.filter(
        region__in=[region.pk for region in ordered],
        as_of=today,
        computed_at__gt=now - max_age,
    )
    usable = _usable(list(fresh))
    missing = [region.pk for region in ordered if region.pk not in usable]
    counted = {}
    if missing:
        found = count_regions(Region.objects.filter(pk__in=missing), today)
        counted = {item.region.pk: item for item in found}
        large = [
            item
            for item in found
            if item.pensions >= settings.DASHBOARD_SNAPSHOT_MIN_PENSIONS
        ]
        if large:
            store(large, today, now)
    figures = [
        counted.get(region.pk)
        or RegionFigures(region=region, **usable[region.pk].figures)
        for region in ordered
    ]
    since = min([now, *(snapshot.computed_at for snapshot in usable.values())])
    return figures, since
