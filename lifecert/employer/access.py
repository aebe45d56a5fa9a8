"""Unit-scoped reads: the only way employer views fetch pensioners.

Everything starts from the unit of the current binding (多绑切换), so switching
the unit number changes every list, query and export at once, and a crafted id
of another unit's pensioner simply is not found.
"""

import datetime
import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from lifecert.accounts.access import parse_uuid
from lifecert.certification import cycle
from lifecert.certification.cycle import month_start
from lifecert.certification.models import Certification
from lifecert.core.rows import CompiledRead
from lifecert.registry.ids import compact
from lifecert.registry.models import Entitlement, Person, Unit

# The partial index ``entitlement_unit_normal`` (unit, last_certified_at) WHERE
# status = 'normal' is only usable when the query repeats that condition
# literally (lifecert.core.lookups).
NORMAL = Q(status__literal=Entitlement.Status.NORMAL.value)


@dataclass(frozen=True)
class Search:
    """信息查询: a name prefix and/or a full ID number."""

    name: str = ""
    ssn: str = ""

    @classmethod
    def from_data(cls, data: Any) -> "Search":
        name = (data.get("name") or "").strip()[:60]
        ssn = compact(str(data.get("ssn") or "")).upper()[:18]
        return cls(name=name, ssn=ssn)

    def apply(self, entitlements: QuerySet[Entitlement]) -> QuerySet[Entitlement]:
        if self.ssn:
            entitlements = entitlements.filter(person__ssn=self.ssn)
        if self.name:
            entitlements = entitlements.filter(
                person_id__in=name_prefix(self.name).values("id")
            )
        return entitlements

    def as_params(self) -> dict[str, str]:
        return {key: value for key, value in vars(self).items() if value}


def name_prefix(prefix: str) -> QuerySet[Person]:
    """Persons whose name starts with ``prefix``, read from the name index.

    As a subquery, both planners build the (small) set of matching persons from
    the index and probe it while walking the unit's range, instead of joining
    every pensioner of the unit to test the name. SQLite cannot use an index for
    ``LIKE 'x%'`` (Django adds ESCAPE), but it can for a range, which is exact
    under its binary collation; PostgreSQL uses its pattern-ops index for LIKE.
    """
    if connection.vendor == "sqlite":
        return Person.objects.filter(name__gte=prefix, name__lt=prefix + "\U0010ffff")
    return Person.objects.filter(name__startswith=prefix)


def unit_entitlements(unit: Unit) -> QuerySet[Entitlement]:
    """Every pensioner of the unit, whatever the status (花名册)."""
    return Entitlement.objects.filter(unit=unit)


def access_entitlement(unit: Unit, public_id: Any) -> Entitlement:
    """One of the unit's own pensioners by public id; 404 for anyone else's."""
    return get_object_or_404(
        unit_entitlements(unit).select_related("person"),
        public_id=parse_uuid(public_id),
    )


def pending_entitlements(
    unit: Unit, search: Search = Search(), *, now: datetime.datetime | None = None
) -> QuerySet[Entitlement]:
    """本地养老本地领取 list: normal, and no certification this calendar month."""
    start = month_start(now)
    return search.apply(
        Entitlement.objects.filter(NORMAL, unit=unit).filter(
            Q(last_certified_at__isnull=True) | Q(last_certified_at__lt=start)
        )
    )


class PendingRow(NamedTuple):
    """One line of the list: what the page shows, and nothing else."""

    pk: int
    public_id: uuid.UUID
    name: str
    ssn: str
    phone: str
    address: str
    last_certified_at: datetime.datetime | None


_ROW_FIELDS = (
    "id",
    "public_id",
    "person__name",
    "person__ssn",
    "person__phone",
    "person__address",
    "last_certified_at",
)


# Every entitlement of one person (by the unique ssn index), compiled once.
_BY_SSN = CompiledRead(
    lambda ssn: Entitlement.objects.filter(person__ssn=ssn).values_list(
        *_ROW_FIELDS, "unit_id", "status"
    ),
    "\x00ssn",
)


class PendingList:
    """The pending list as a sliceable sequence of ``PendingRow`` for the paginator.

    It is read in two index ranges of ``entitlement_unit_normal``: never
    certified first, then by oldest certification. Each range is an ordered
    index scan and each count an index-only count, so a page costs the same
    for 50 or 50,000 pensioners on SQLite and PostgreSQL alike (an ``OR`` of
    the two ranges would make both planners read every row of the unit).
    """

    def __init__(
        self, unit: Unit, search: Search = Search(), *, now: Any = None
    ) -> None:
        self.unit, self.search, self.start = unit, search, month_start(now)
        self._rows: list[PendingRow] | None = None
        if search.ssn:
            # One person: start from the unique ssn index, and filter the few rows
            # here. With the unit's range in the SQL as well, both planners would
            # rather walk the unit's index instead.
            self._rows = self._by_ssn(unit, search, self.start)
        self._counts: tuple[int, int] | None = None

    @cached_property
    def _base(self) -> QuerySet[Entitlement]:
        return self.search.apply(Entitlement.objects.filter(NORMAL, unit=self.unit))

    # Ordering by unit first spells out the unit's index order, so a planner
    # keeps to the unit's range when a name search leaves few matches in it.
    @cached_property
    def never(self) -> QuerySet[Entitlement]:
        """Never certified, in id order."""
        return self._base.filter(last_certified_at__isnull=True).order_by(
            "unit_id", "id"
        )

    @cached_property
    def before(self) -> QuerySet[Entitlement]:
        """Last certified before this month, oldest first."""
        return self._base.filter(last_certified_at__lt=self.start).order_by(
            "unit_id", "last_certified_at", "id"
        )

    @staticmethod
    def _by_ssn(unit: Unit, search: Search, start: Any) -> list[PendingRow]:
        return [
            PendingRow(*row[:-2])
            for row in _BY_SSN.rows(search.ssn)
            if row[-2] == unit.pk
            and row[-1] == Entitlement.Status.NORMAL
            and (row[6] is None or row[6] < start)
            and row[2].startswith(search.name)
        ]

    def counts(self) -> tuple[int, int]:
        if self._rows is not None:
            return (len(self._rows), 0)
        if self._counts is None:
            self._counts = (self.never.count(), self.before.count())
        return self._counts

    def __len__(self) -> int:
        return sum(self.counts())

    def __getitem__(self, window: slice) -> list[PendingRow]:
        start, stop = window.start or 0, window.stop
        if self._rows is not None:
            return self._rows[start:stop]
        never_count, _ = self.counts()
        if stop <= never_count:  # the page lies in one range: one query
            return self._read(self.never, start, stop)
        if start >= never_count:
            return self._read(self.before, start - never_count, stop - never_count)
        return self._read(self.never, start, never_count) + self._read(
            self.before, 0, stop - never_count
        )

    @staticmethod
    def _read(
        ordered: QuerySet[Entitlement], start: int, stop: int
    ) -> list[PendingRow]:
        """Rows ``start:stop`` of one range, in one query.

        The window is cut from the index alone (a sliced subquery of ids), so
        a deep page skips index entries, not joined rows; only the shown
        columns are read, into tuples, not model instances.
        """
        window = ordered.values("id")[start:stop]
        rows = (
            Entitlement.objects.filter(id__in=window)
            .order_by(*ordered.query.order_by)
            .values_list(*_ROW_FIELDS)
        )
        return [PendingRow(*row) for row in rows]


class RosterFilter:
    DUE_SOON = "due"
    OVERDUE = "overdue"
    SUSPENDED = "suspended"
    CHOICES = [
        ("", "全部"),
        (DUE_SOON, "30 天内到期"),
        (OVERDUE, "已逾期"),
        (SUSPENDED, "已暂停"),
    ]


def roster_entitlements(
    unit: Unit, which: str = "", *, today: datetime.date | None = None
) -> QuerySet[Entitlement]:
    """花名册 with the filters 30 天内到期 / 已逾期 / 已暂停 (the cycle's own rule).

    已逾期 is what the next suspension run would stop; a pensioner already
    stopped is under 已暂停.
    """
    roster = unit_entitlements(unit)
    if which == RosterFilter.SUSPENDED:
        return roster.filter(status=Entitlement.Status.SUSPENDED)
    if which == RosterFilter.OVERDUE:
        return cycle.overdue(roster, today)
    if which == RosterFilter.DUE_SOON:
        return cycle.due_within(roster, cycle.DUE_SOON_DAYS, today)
    return roster


def unit_certifications(unit: Unit) -> QuerySet[Certification]:
    """Every certification of the unit's pensioners, by person then time."""
    return Certification.objects.filter(entitlement__unit=unit).order_by(
        "entitlement_id", "-certified_at"
    )


def query_certifications(unit: Unit, ssn: str) -> QuerySet[Certification]:
    """养老退休认证信息查询: one ID number, only among the unit's own pensioners."""
    return (
        Certification.objects.filter(entitlement__unit=unit, person__ssn=ssn)
        .select_related("person")
        .order_by("-certified_at")
    )
