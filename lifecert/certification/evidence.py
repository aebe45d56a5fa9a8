"""Evidence from other agencies, row by row: death records and data comparison.

One service under both doors: the Excel imports (``imports.py``, rows read
from a sheet) and the integration API (``lifecert.api``, rows from a JSON
batch). Both follow the registry import's rule: every row is checked first,
each bad row is reported with its number, field and reason, and nothing is
written unless every row is good. ``dry_run`` runs the whole batch the same way
inside a transaction and rolls it back: the preview counts are the real ones.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db import connections, models, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.core.collector import collection_paused
from lifecert.registry.excel import quote
from lifecert.registry.models import Entitlement, Region

from .bulk import Staged, page_cache, staged
from .models import Certification, Channel, DeathAfterCertificationCase, Overpayment
from .services import (
    OVERDUE_REASON,
    record_certification,
    record_death,
)


class Kind(models.TextChoices):
    DEATHS = "deaths", "死亡名单"
    COMPARISON = "comparison", "数据比对"


# What the date of a row means, in the words of the sheet's header.
DATE_LABEL = {Kind.DEATHS: "死亡日期", Kind.COMPARISON: "比对日期"}
SOURCE_MAX_LENGTH = 100


@dataclass(frozen=True)
class EvidenceRow:
    """One row as the caller sent it; ``number`` is how the caller counts rows."""

    number: int
    ssn: str
    name: str
    date: datetime.date | None
    # The date as written, for the message when it is not one.
    date_text: str = ""
    source: str = ""


@dataclass(frozen=True)
class RowError:
    """One problem of one row: which field, a stable code, a Chinese message."""

    row: int | None
    field: str
    code: str
    message: str


class EvidenceRejected(Exception):
    """Some rows are bad: nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} row errors")
        self.errors = errors


@dataclass
class EvidenceResult:
    rows: int
    changed: int
    skipped: int
    # Deaths only: overpayments recorded, and certifications found dated after
    # the death (each a case for staff).
    overpaid: int = 0
    cases: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _State:
    """An entitlement in the caller's regions as matched, and then as the
    batch leaves it (rows may repeat a person: they share one)."""

    pk: int
    status: str
    reason: str
    last: datetime.datetime | None
    death_date: datetime.date | None


@dataclass
class _Good:
    row: EvidenceRow
    day: datetime.date
    # The person's entitlements in the caller's regions.
    entitlements: list[_State] = field(default_factory=list)


# Numbers matched per query (a bounded IN list on both databases).
MATCH_CHUNK = 5000


def _match(
    numbers: set[str], regions: Iterable[Region], *, lock: bool
) -> dict[str, tuple[str, list[_State]]]:
    """Number -> (registered name, its entitlements in ``regions``); with
    ``lock``, the entitlements locked until the transaction ends, so that
    what the rules read of them stays true while the batch writes.

    Plain values, not model instances: at 5,000 rows a batch the instances
    were the largest share of the push's Python time (bench/bench_api_push.py).
    The regions are kept in Python, not in the query: with them in the WHERE
    clause SQLite (no statistics) read every entitlement of the regions for
    each 5,000 numbers (4 s a query at 1.7 M entitlements) instead of looking
    the numbers up. A locked match may so lock a number's entitlement in
    another region too, until the batch ends.
    """
    region_ids = {region.pk for region in regions}
    ordered = sorted(numbers)
    found: dict[str, tuple[str, list[_State]]] = {}
    entitlements = Entitlement.objects.all()
    if lock:
        entitlements = entitlements.select_for_update(of=("self",))
    vendor = connections[entitlements.db].vendor
    for start in range(0, len(ordered), MATCH_CHUNK):
        chunk = _listed(ordered[start : start + MATCH_CHUNK], vendor)
        query = entitlements.filter(person__ssn__in=chunk)
        rows = query.order_by("pk").values_list(
            "person__ssn",
            "person__name",
            "region_id",
            "pk",
            "status",
            "status_reason",
            "last_certified_at",
            "person__death_date",
        )
        for ssn, name, region_id, pk, status, reason, last, death in rows:
            if region_id in region_ids:
                entitlement = _State(pk, status, reason, last, death)
                found.setdefault(ssn, (name, []))[1].append(entitlement)
    return found


def _listed(numbers: list[str], vendor: str) -> list[str] | RawSQL:
    """``numbers`` as the right side of ``__in`` on a ``vendor`` database. On
    PostgreSQL one array parameter: psycopg writes each parameter into the
    statement in Python (Django binds on the client), and 5,000 placeholders
    took it 50-100 ms a batch of 5,000 rows, half the CPU of the match."""
    if vendor != "postgresql":
        return numbers
    return RawSQL("SELECT unnest(%s::varchar[])", (numbers,))


def check_rows(
    kind: Kind,
    rows: Sequence[EvidenceRow],
    regions: Iterable[Region],
    *,
    lock: bool = False,
) -> list[_Good]:
    """Every row matched to its entitlements in ``regions`` (with ``lock``,
    locked: inside a transaction); raises EvidenceRejected."""
    entitlements = _match({row.ssn for row in rows}, regions, lock=lock)
    today = timezone.localdate()
    label = DATE_LABEL[kind]
    errors: list[RowError] = []
    good: list[_Good] = []
    for row in rows:
        found = entitlements.get(row.ssn)
        before = len(errors)
        if not found:
            errors.append(
                RowError(
                    row.number,
                    "ssn",
                    "not_found",
                    f"社会保障号码 {quote(row.ssn) or '（空）'} "
                    "在您管辖的参保地没有养老待遇",
                )
            )
        elif found[0] != row.name:
            errors.append(
                RowError(
                    row.number,
                    "name",
                    "name_mismatch",
                    f"姓名“{quote(row.name)}”与登记的姓名不一致",
                )
            )
        if row.date is None:
            errors.append(
                RowError(
                    row.number,
                    "date",
                    "invalid_date",
                    f"{label}“{quote(row.date_text)}”不是有效日期",
                )
            )
        elif row.date > today:
            errors.append(
                RowError(
                    row.number, "date", "future_date", f"{label} {row.date} 晚于今天"
                )
            )
        if len(errors) == before and found and row.date is not None:
            good.append(_Good(row, row.date, found[1]))
    if errors:
        raise EvidenceRejected(errors)
    return good


# A 数据比对 batch of this many rows links its audit rows in its own
# transaction instead of after commit: one commit instead of two and the audit
# pages written once (bench/bench_api_push.py, docs/benchmarks.md). Up to a
# few API batches' worth: meanwhile every other writer's link after commit
# (and so its response) waits for the chain lock; a 200,000-row import would
# hold it for a minute, so it links after commit, 5,000 rows a turn.
LINK_IN_BATCH_ROWS = range(1000, 20_001)
# A larger batch (an Excel file of up to 200,000 rows) runs with a page cache
# of IMPORT_SQLITE_CACHE_MIB on SQLite instead of the connection's 64 MiB:
# 60,000 rows took 14-20 % less CPU with 1 GiB and the inserts in entitlement
# order (bench/bench_import_cache.py, docs/benchmarks.md).


class _Preview(Exception):
    """Raised to roll a dry run back, carrying what it would have done."""

    def __init__(self, result: EvidenceResult) -> None:
        super().__init__("dry run")
        self.result = result


# The batch's rows live until it ends: full collections meanwhile free nothing.
@collection_paused()
def apply_rows(
    kind: Kind,
    rows: Sequence[EvidenceRow],
    *,
    acting_user: Any,
    regions: Iterable[Region],
    ip: str | None = None,
    dry_run: bool = False,
    evidence: dict[str, Any] | None = None,
    audit_extra: dict[str, Any] | None = None,
) -> EvidenceResult:
    """Check every row, then terminate (deaths) or certify (comparison) in one
    transaction, audited as the Excel import is. ``dry_run``: the same work,
    rolled back. ``evidence`` is added to each silent certification's evidence.

    The rows are checked inside the transaction: a 数据比对 batch's match
    locks the entitlements it finds, and the rules read them from it (one
    query for both; a row must see its entitlement as it is when written).
    Nothing is written unless every row is good, so the batch is as long as
    its good rows."""
    comparison = kind == Kind.COMPARISON
    # A large batch links its audit rows before its commit, the chain lock
    # taken before any entitlement is locked (``audit.linked_before_commit``).
    bulk = comparison and not dry_run and len(rows) in LINK_IN_BATCH_ROWS
    # A large import on SQLite keeps its dirty pages in memory to its commit.
    large = comparison and len(rows) > LINK_IN_BATCH_ROWS[-1]
    with page_cache(settings.IMPORT_SQLITE_CACHE_MIB * 1024 if large else None):
        try:
            with audit.linked_before_commit() if bulk else transaction.atomic():
                good = check_rows(kind, rows, regions, lock=comparison)
                if kind == Kind.DEATHS:
                    result = _deaths(good, acting_user=acting_user, ip=ip)
                    action = AuditAction.IMPORT_DEATHS
                    after = {
                        "rows": result.rows,
                        "terminated": result.changed,
                        "skipped": result.skipped,
                        "overpaid": result.overpaid,
                        "cases": result.cases,
                    }
                else:
                    result = _comparison(
                        good, acting_user=acting_user, ip=ip, evidence=evidence or {}
                    )
                    action = AuditAction.IMPORT_COMPARISON
                    after = {
                        "rows": result.rows,
                        "certified": result.changed,
                        "skipped": result.skipped,
                    }
                if dry_run:
                    result.dry_run = True
                    raise _Preview(result)
                audit.record(
                    action,
                    acting_user=acting_user,
                    ip=ip,
                    after={**after, **(audit_extra or {})},
                )
        except _Preview as preview:
            return preview.result
    return result


def _deaths(good: list[_Good], *, acting_user: Any, ip: str | None) -> EvidenceResult:
    changed = skipped = overpaid = 0
    cases_before = DeathAfterCertificationCase.objects.count()
    for item in good:
        for state in item.entitlements:
            if state.status == Entitlement.Status.TERMINATED:
                skipped += 1
                continue
            overpayment: Overpayment | None = record_death(
                entitlement=Entitlement(pk=state.pk),
                death_date=item.day,
                acting_user=acting_user,
                ip=ip,
            )
            overpaid += overpayment is not None
            changed += 1
    cases = DeathAfterCertificationCase.objects.count() - cases_before
    return EvidenceResult(len(good), changed, skipped, overpaid, cases)


# Rows certified per statement batch.
CHUNK = 2000


def _comparison(
    good: list[_Good], *, acting_user: Any, ip: str | None, evidence: dict[str, Any]
) -> EvidenceResult:
    """Silent certifications in set-based SQL; the rare row that resumes a
    suspended pension or vouches for someone recorded dead goes through
    ``record_certification`` one by one, with the same effect as the rest.

    The entitlements were locked when the rows were matched (``check_rows``);
    the rules read them as the batch leaves them. The checked rows go into one
    temporary table (``bulk.staged``), numbered in order, and each run of
    plain rows is written from it."""
    noon: dict[datetime.date, datetime.datetime] = {}  # one make_aware a day
    proofs: dict[str, dict[str, Any]] = {}  # one evidence dict per source
    todo: list[tuple[int, datetime.datetime, dict[str, Any]]] = []
    states: list[_State] = []  # the entitlement of each row of ``todo``
    for item in good:
        at = noon.get(item.day) or noon.setdefault(item.day, _noon(item.day))
        source = item.row.source
        proof = proofs.get(source) or proofs.setdefault(
            source, {"source": source, **evidence}
        )
        todo.extend((state.pk, at, proof) for state in item.entitlements)
        states.extend(item.entitlements)
    changed = skipped = 0
    with staged(todo) as stage:
        for start in range(0, len(todo), CHUNK):
            stop = min(start + CHUNK, len(todo))
            first = start  # the first row of the run not yet written
            dropped: list[int] = []  # rows of the run that are not written
            for n in range(start, stop):
                pk, at, proof = todo[n]
                state = states[n]
                if state.status == Entitlement.Status.TERMINATED or (
                    state.last is not None and state.last >= at
                ):
                    skipped += 1
                    dropped.append(n)
                    continue
                changed += 1
                dead = state.death_date is not None and (
                    timezone.localdate(at) > state.death_date
                )
                resumes = (
                    state.status == Entitlement.Status.SUSPENDED
                    and state.reason == OVERDUE_REASON
                )
                if not (dead or resumes):
                    state.last = at
                    continue
                # The rows before it first, so that it sees them.
                _write_run(stage, first, n, dropped, acting_user=acting_user, ip=ip)
                first, dropped = n + 1, []
                record_certification(
                    entitlement=Entitlement(pk=pk),
                    channel=Channel.DATA,
                    acting_user=acting_user,
                    at=at,
                    evidence=dict(proof),
                    operator_name=OPERATOR,
                    ip=ip,
                )
                fresh = Entitlement.objects.get(pk=pk)
                state.status, state.reason = fresh.status, fresh.status_reason
                state.last = fresh.last_certified_at
            _write_run(stage, first, stop, dropped, acting_user=acting_user, ip=ip)
    return EvidenceResult(len(good), changed, skipped)


OPERATOR = "数据比对"


def _noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def _write_run(
    stage: Staged,
    start: int,
    stop: int,
    dropped: list[int],
    *,
    acting_user: Any,
    ip: str | None,
) -> None:
    """Rows ``start`` to ``stop`` but ``dropped``: the certifications and
    their entitlements' new last dates (``Staged.certify``) and the audit rows
    by ``record_many``: what ``record_certification`` writes."""
    if stop - start == len(dropped):
        return
    stage.drop(dropped)
    ids = stage.certify(start, stop, channel=Channel.DATA, operator_name=OPERATOR)
    audit.record_many(
        AuditAction.CERTIFICATION_CREATE,
        acting_user=acting_user,
        model=Certification,
        pks=ids,
        ip=ip,
        after={"channel": Channel.DATA.value},
    )
