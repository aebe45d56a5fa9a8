"""The certification cycle: the one place that says when a pension falls due.

Each normal entitlement needs a certification at least every
``CERT_CYCLE_MONTHS`` months. Its *base* is the local (Asia/Shanghai) date of
the last certification, or the pension's start date if it was never
certified; it is due on base + the cycle, clamped to the month's last day
(29 Feb 2024 + 12 months = 28 Feb 2025). It may still be certified on the due
date; from the next day it is overdue and the suspension run stops it.

The rule is written twice, once in Python (``due_date``) for one entitlement
and once in SQL (``overdue``, ``due_on_or_before``, ``due_within``) for sets of
them, and ``tests/test_cycle_rule.py`` checks that the two agree. The SQL form
never computes a due date per row: ``base_cutoff`` turns a day into the first
base whose due date is on or after it, once per query, and the filters compare
the columns against that, so they stay index ranges on both databases.

The queryset side is functions over ``QuerySet[Entitlement]`` rather than
manager methods because ``registry`` sits below ``certification``: the model
cannot import the cycle without turning the layers upside down.
"""

import calendar
import datetime
import itertools

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from lifecert.registry.models import Entitlement

ONE_DAY = datetime.timedelta(days=1)
# 30 天内到期: how far ahead the lists look for what falls due.
DUE_SOON_DAYS = 30

# The literal matches the partial index ``entitlement_unit_normal``
# (lifecert.core.lookups): with a bound parameter SQLite would not use it.
_NORMAL = Q(status__literal=Entitlement.Status.NORMAL.value)


# Dates: plain arithmetic, no database.


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by whole months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: datetime.date, end: datetime.date) -> int:
    """Calendar months from ``start``'s month to ``end``'s (0 if ``end`` is earlier)."""
    return max(0, (end.year - start.year) * 12 + (end.month - start.month))


def cycle_months(months: int | None = None) -> int:
    # Read at call time, not as a default argument, so override_settings and a
    # changed environment take effect.
    return settings.CERT_CYCLE_MONTHS if months is None else months


def due_date(
    last_certified: datetime.date | None,
    started: datetime.date,
    months: int | None = None,
) -> datetime.date:
    """The last day on which a certification is in time.

    ``last_certified`` is the local date of the last certification, ``None``
    if there was none; then the cycle runs from ``started``, the pension start.
    """
    base = started if last_certified is None else last_certified
    return add_months(base, cycle_months(months))


def base_cutoff(day: datetime.date, months: int | None = None) -> datetime.date:
    """The first base whose due date is on or after ``day``.

    ``due_date`` only grows with the base, so ``due < day`` holds exactly for
    the bases before this one. Going back ``months`` from ``day`` gives it,
    except where that lands on a shorter month and is clamped: no base in the
    shorter month reaches ``day`` then (on 29 Feb 2024 a certification of
    28 Feb 2023 is one day late), so the cutoff is the first of the next month.
    """
    back = add_months(day, -cycle_months(months))
    return back + ONE_DAY if back.day < day.day else back


# One entitlement.


def base_date(entitlement: Entitlement) -> datetime.date:
    """The local date the entitlement's cycle runs from."""
    if entitlement.last_certified_at is None:
        return entitlement.start_date
    return timezone.localdate(entitlement.last_certified_at)


def due_date_of(
    entitlement: Entitlement, months: int | None = None
) -> datetime.date | None:
    """When the entitlement's next certification is due; ``None`` once terminated."""
    if entitlement.status == Entitlement.Status.TERMINATED:
        return None
    return add_months(base_date(entitlement), cycle_months(months))


def overdue_since(entitlement: Entitlement) -> datetime.date:
    """The first day the entitlement is overdue (the day after its due date)."""
    return add_months(base_date(entitlement), cycle_months()) + ONE_DAY


def due_soon_days(
    entitlement: Entitlement,
    today: datetime.date | None = None,
    days: int = DUE_SOON_DAYS,
) -> int | None:
    """Days left to the due date when it falls within ``days`` (0: due today),
    else ``None`` (not normal, overdue, or further away). ``due_within`` in SQL."""
    if entitlement.status != Entitlement.Status.NORMAL:
        return None
    today = today or timezone.localdate()
    left = (add_months(base_date(entitlement), cycle_months()) - today).days
    return left if 0 <= left <= days else None


# Sets of entitlements: the same rule in SQL.


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The instant local ``day`` begins, for comparison with stored (UTC) times."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def month_start(now: datetime.datetime | None = None) -> datetime.datetime:
    """Start of the current calendar month in local time, as an aware datetime."""
    local = timezone.localtime(now or timezone.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _base_before_parts(day: datetime.date) -> tuple[Q, Q]:
    # The local date of an instant is before ``day`` exactly when the instant
    # is before local midnight of ``day``: a range on the stored column, with
    # no time-zone function per row.
    return Q(last_certified_at__lt=local_midnight(day)), Q(
        last_certified_at__isnull=True, start_date__lt=day
    )


def _base_in_parts(first: datetime.date, stop: datetime.date) -> tuple[Q, Q]:
    """first <= base < stop, as one range on each column."""
    return Q(
        last_certified_at__gte=local_midnight(first),
        last_certified_at__lt=local_midnight(stop),
    ), Q(last_certified_at__isnull=True, start_date__gte=first, start_date__lt=stop)


def _either(parts: tuple[Q, Q]) -> Q:
    return parts[0] | parts[1]


def _base_before(day: datetime.date) -> Q:
    return _either(_base_before_parts(day))


def due_on_or_before(
    entitlements: QuerySet[Entitlement],
    day: datetime.date,
    *,
    months: int | None = None,
) -> QuerySet[Entitlement]:
    """Normal entitlements whose due date is ``day`` or earlier."""
    return entitlements.filter(
        _NORMAL, _base_before(base_cutoff(day + ONE_DAY, months))
    )


def overdue(
    entitlements: QuerySet[Entitlement],
    today: datetime.date | None = None,
    *,
    months: int | None = None,
) -> QuerySet[Entitlement]:
    """Normal entitlements past their due date: what the suspension run stops."""
    return entitlements.filter(overdue_q(today, months=months))


def overdue_parts(
    today: datetime.date | None = None, *, months: int | None = None
) -> tuple[Q, Q]:
    """``overdue`` as two disjoint conditions (certified too long ago; never
    certified and started too long ago), each one index range: counted apart
    and added, where SQLite would plan their OR as a walk of every row."""
    today = today or timezone.localdate()
    certified, never = _base_before_parts(base_cutoff(today, months))
    return _NORMAL & certified, _NORMAL & never


def overdue_q(today: datetime.date | None = None, *, months: int | None = None) -> Q:
    """``overdue`` as a condition."""
    return _either(overdue_parts(today, months=months))


def due_within(
    entitlements: QuerySet[Entitlement],
    days: int,
    today: datetime.date | None = None,
    *,
    months: int | None = None,
) -> QuerySet[Entitlement]:
    """Normal entitlements due from ``today`` to ``days`` days later, not overdue."""
    return entitlements.filter(due_within_q(days, today, months=months))


def due_within_parts(
    days: int, today: datetime.date | None = None, *, months: int | None = None
) -> tuple[Q, Q]:
    """``due_within`` as two disjoint conditions, as ``overdue_parts``."""
    today = today or timezone.localdate()
    last = today + datetime.timedelta(days=days)
    certified, never = _base_in_parts(
        base_cutoff(today, months), base_cutoff(last + ONE_DAY, months)
    )
    return _NORMAL & certified, _NORMAL & never


def due_within_q(
    days: int, today: datetime.date | None = None, *, months: int | None = None
) -> Q:
    """``due_within`` as a condition."""
    return _either(due_within_parts(days, today, months=months))


def normal_by_last_certification(bounds: list[datetime.date]) -> list[Q]:
    """Normal entitlements split by the local day of their last certification:
    never certified, before ``bounds[0]``, each ``[bounds[i], bounds[i+1])``,
    and from ``bounds[-1]`` on. The parts are disjoint and together are every
    normal entitlement; each is one range of ``entitlement_region_cycle``."""
    edges = [local_midnight(day) for day in bounds]
    # "Never certified" with a range on start_date that every row meets: SQLite
    # (without ANALYZE statistics) would otherwise count it through
    # entitlement_region_status and read all the region's normal rows (0.3 s
    # at 400,000) instead of one range of entitlement_region_cycle.
    never = Q(last_certified_at__isnull=True, start_date__lte=datetime.date.max)
    parts = [never, Q(last_certified_at__lt=edges[0])]
    parts += [
        Q(last_certified_at__gte=first, last_certified_at__lt=stop)
        for first, stop in itertools.pairwise(edges)
    ]
    parts.append(Q(last_certified_at__gte=edges[-1]))
    return [_NORMAL & part for part in parts]


def certified_in_q(first: datetime.date, stop: datetime.date) -> Q:
    """Last certified on local days ``first`` to the day before ``stop``."""
    return Q(
        last_certified_at__gte=local_midnight(first),
        last_certified_at__lt=local_midnight(stop),
    )
