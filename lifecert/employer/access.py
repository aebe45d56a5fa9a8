"""Unit-scoped reads: the only way employer views fetch pensioners.

Everything starts from the unit of the current binding (多绑切换), so switching
the unit number changes every list, query and export at once, and a crafted id
of another unit's pensioner simply is not found.
"""

import datetime
import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Case, DateTimeField, F, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from lifecert.accounts.access import parse_uuid
from lifecert.certification import cycle
from lifecert.certification.cycle import month_start
from lifecert.certification.models import Certification
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


def _by_ssn_rows(ssn: str) -> list[tuple[Any, ...]]:
    """Every entitlement of one person (by the unique ssn index), whatever
    the unit or status: the list's row fields, then unit id and status."""
    return list(
        Entitlement.objects.filter(person__ssn=ssn).values_list(
            *_ROW_FIELDS, "unit_id", "status"
        )
    )


EMPTY_INCOMPLETE_ID = (
    "请输入完整的18位社会保障号码（列表中显示的号码已隐去中间位数，不能用于查询）。"
)
EMPTY_NOT_OURS = (
    "该身份证号的人员不属于本单位：本单位没有该身份证号的退休人员，请核对后重新输入。"
)
EMPTY_NAME_MISMATCH = (
    "姓名与身份证号不符：本单位该身份证号的退休人员不是此姓名，请核对后重新输入。"
)
EMPTY_CERTIFIED = "该人员本月已认证（认证时间 {date}），本月无需再次认证。"
EMPTY_SUSPENDED = (
    "该人员待遇领取状态为暂停，单位不能网上认证：请本人到窗口或申请上门认证。"
)
EMPTY_TERMINATED = "该人员待遇已终止，不能认证。"


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
        self._ssn_rows: list[tuple[Any, ...]] = []
        if search.ssn:
            # One person: start from the unique ssn index, and filter the few rows
            # here. With the unit's range in the SQL as well, both planners would
            # rather walk the unit's index instead.
            self._ssn_rows = _by_ssn_rows(search.ssn)
            self._rows = self._by_ssn(unit, search, self.start, self._ssn_rows)
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
    def _by_ssn(
        unit: Unit, search: Search, start: Any, rows: Iterable[tuple[Any, ...]]
    ) -> list[PendingRow]:
        return [
            PendingRow(*row[:-2])
            for row in rows
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

    def empty_reason(self) -> str:
        """Why a search by ID number found nobody to certify (no query of its own).

        Another unit's pensioner and an unknown number get the same answer, so
        the list does not tell a unit who is insured elsewhere.
        """
        if not self.search.ssn or len(self):
            return ""
        mine = [row for row in self._ssn_rows if row[-2] == self.unit.pk]
        if not mine:
            return EMPTY_NOT_OURS
        if self.search.name and not any(
            row[2].startswith(self.search.name) for row in mine
        ):
            return EMPTY_NAME_MISMATCH
        statuses = {row[-1] for row in mine}
        # Normal, of this unit, and not on the list: certified this month.
        last = max(
            (
                row[6]
                for row in mine
                if row[-1] == Entitlement.Status.NORMAL and row[6] is not None
            ),
            default=None,
        )
        if last is not None:
            local = timezone.localtime(last).strftime("%Y-%m-%d")
            return EMPTY_CERTIFIED.format(date=local)
        if Entitlement.Status.SUSPENDED in statuses:
            return EMPTY_SUSPENDED
        return EMPTY_TERMINATED

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


class ReviewRow(NamedTuple):
    """One person on the confirmation of 保存."""

    public_id: uuid.UUID
    name: str
    ssn: str
    last_certified_at: datetime.datetime | None


@dataclass
class Review:
    """The confirmation of 保存: who would be certified, and who not and why.

    ``rows`` are exactly the people the page lists for attestation. When
    "全部符合查询条件的人员" matches more than the page lists, ``rows`` is a
    preview, ``total`` the count and ``digest`` fingerprints the whole set, so
    the save can insist on certifying that set and no other.
    """

    rows: list[ReviewRow] = field(default_factory=list)
    certified: list[ReviewRow] = field(default_factory=list)
    not_normal: list[ReviewRow] = field(default_factory=list)
    gone: int = 0
    total: int = 0
    digest: str = ""
    search: Search | None = None

    @property
    def complete(self) -> bool:
        """Does the page list every person the save would certify?"""
        return not self.digest


def set_digest(pks: Iterable[int]) -> str:
    """A fingerprint of a set of entitlement row ids (order does not matter)."""
    joined = ",".join(str(pk) for pk in sorted(pks))
    return hashlib.sha256(joined.encode()).hexdigest()


def review_selection(
    unit: Unit, public_ids: Iterable[Any], *, now: datetime.datetime | None = None
) -> Review:
    """The ticked people, split into those to certify and those skipped (one query).

    Keeps the order of ``public_ids``; ids that are not (or no longer) the
    unit's pensioners are only counted.
    """
    wanted = [parse_uuid(value) for value in public_ids]
    start = month_start(now)
    found = {
        row[0]: row
        for row in Entitlement.objects.filter(
            unit=unit, public_id__in=wanted
        ).values_list(
            "public_id", "person__name", "person__ssn", "last_certified_at", "status"
        )
    }
    review = Review()
    for public_id in wanted:
        row = found.get(public_id)
        if row is None:
            review.gone += 1
            continue
        shown = ReviewRow(*row[:4])
        if row[4] != Entitlement.Status.NORMAL:
            review.not_normal.append(shown)
        elif shown.last_certified_at is not None and shown.last_certified_at >= start:
            review.certified.append(shown)
        else:
            review.rows.append(shown)
    review.total = len(review.rows)
    return review


def review_matching(
    unit: Unit,
    search: Search,
    *,
    limit: int,
    preview: int,
    now: datetime.datetime | None = None,
) -> Review:
    """选择全部符合查询条件的人员: everyone if at most ``limit``, else a preview.

    Up to ``limit`` people the review lists them all, exactly as a selection
    (two or three queries). Beyond, it lists the first ``preview`` in the
    list's order and fingerprints the whole set of row ids (one more query
    reading the ids only).
    """
    pending = PendingList(unit, search, now=now)
    rows = pending[0 : limit + 1]
    if len(rows) <= limit:
        shown = [
            ReviewRow(r.public_id, r.name, r.ssn, r.last_certified_at) for r in rows
        ]
        return Review(rows=shown, total=len(shown), search=search)
    pks = list(pending_entitlements(unit, search, now=now).values_list("id", flat=True))
    shown = [
        ReviewRow(r.public_id, r.name, r.ssn, r.last_certified_at)
        for r in rows[:preview]
    ]
    return Review(rows=shown, total=len(pks), digest=set_digest(pks), search=search)


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


class RosterSort:
    DEFAULT = ""
    DUE = "due"
    CHOICES = [(DEFAULT, "默认顺序"), (DUE, "按下次认证截止日期（最早在前）")]


def due_order() -> tuple[Any, ...]:
    """Order by next due date, earliest first; terminated (no due date) last.

    Due = (last certification, or pension start) + the cycle, so ordering by
    that base is ordering by due date. The start date is compared as midnight
    UTC: a certification on local date D (UTC+8) lies in [D-1 16:00, D 16:00)
    UTC, so only people due on the same day may come in either order.
    """
    base = Case(
        When(status=Entitlement.Status.TERMINATED, then=Value(None)),
        default=Coalesce(
            F("last_certified_at"), Cast("start_date", output_field=DateTimeField())
        ),
        output_field=DateTimeField(),
    )
    return (base.asc(nulls_last=True), "id")


def roster_entitlements(
    unit: Unit,
    which: str = "",
    *,
    search: Search = Search(),
    today: datetime.date | None = None,
) -> QuerySet[Entitlement]:
    """花名册 with the filters 30 天内到期 / 已逾期 / 已暂停 (the cycle's own rule)
    and a name / ID search.

    已逾期 is what the next suspension run would stop; a pensioner already
    stopped is under 已暂停.
    """
    roster = search.apply(unit_entitlements(unit))
    if which == RosterFilter.SUSPENDED:
        return roster.filter(status=Entitlement.Status.SUSPENDED)
    if which == RosterFilter.OVERDUE:
        return cycle.overdue(roster, today)
    if which == RosterFilter.DUE_SOON:
        return cycle.due_within(roster, cycle.DUE_SOON_DAYS, today)
    return roster


class Windowed:
    """An ordered queryset paged by its ids first, for the paginator.

    A page's window is cut from the ordered ids alone (no join, no annotation),
    then only those rows are read, through ``fetch``, and put back in order:
    with a computed order (due date) a deep page would otherwise build every
    skipped row before discarding it.
    """

    def __init__(
        self,
        ordered: QuerySet[Entitlement],
        fetch: Callable[[QuerySet[Entitlement]], QuerySet[Entitlement]],
    ) -> None:
        self.queryset, self.fetch = ordered, fetch

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Entitlement]:
        ids = list(self.queryset.values_list("id", flat=True)[window])
        rows = {
            row.pk: row for row in self.fetch(Entitlement.objects.filter(id__in=ids))
        }
        return [rows[pk] for pk in ids if pk in rows]


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
