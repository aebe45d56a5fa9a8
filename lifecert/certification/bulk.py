"""Many certifications at once, in set-based SQL.

The 数据比对 path of ``evidence.py`` writes 5,000 certifications per pushed
batch. ``bulk_create`` built a model instance per row and prepared each of its
eleven values one by one: with the instances that matched the rows, that was
most of the push's Python time (bench/bench_api_push.py). Here each row is a
tuple, the values that repeat (time, evidence) are prepared once, and the
batch's checked rows go into one temporary table (``append_rows``:
``COPY`` on PostgreSQL, ``executemany`` on SQLite) that every statement of the
batch joins, as the plain SQL the benches compare against does: per run of
rows one ``INSERT … SELECT … RETURNING`` of certifications and one ``UPDATE …
FROM`` of ``last_certified_at`` (the caller has locked the entitlements).
Lists of thousands of ``IN (…)`` parameters cost Django about 4 µs each to
prepare, three lists a row; large ``INSERT … VALUES`` statements cost
PostgreSQL 100–250 ms each to bind and plan (docs/benchmarks.md). Values are
still prepared by the model's own fields, so both databases store exactly what
the ORM would.

``append_rows`` is ``lifecert.core.bulk``'s.
"""

import contextlib
import datetime
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from lifecert.core.bulk import append_rows, shared_value
from lifecert.registry.models import Entitlement

from .models import Certification
from .services import new_receipt_codes

# What each row gives the temporary table, after its number ``n``; person,
# region, channel and operator name come from the statement that inserts.
COLUMNS = (
    "public_id",
    "entitlement_id",
    "certified_at",
    "evidence",
    "receipt_code",
)
# The name is this module's alone; the table is dropped when the batch ends.
TEMP_TABLE = "bulk_checked_row"

# (entitlement_id, certified_at, evidence)
CheckedRow = tuple[int, datetime.datetime, dict[str, Any]]


class Staged:
    """A batch's checked rows in the temporary table, numbered from 0 in
    the order given; what the batch's statements join."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self.temp = connection.ops.quote_name(TEMP_TABLE)

    def drop(self, numbers: Sequence[int]) -> None:
        """Rows the batch does not write (skipped, or written on their own)."""
        if numbers:
            with self.connection.cursor() as cursor:
                cursor.executemany(
                    f"DELETE FROM {self.temp} WHERE n = %s",  # noqa: S608 this module's name
                    [(n,) for n in numbers],
                )

    def certify(
        self, start: int, stop: int, *, channel: str, operator_name: str
    ) -> list[int]:
        """One certification per row left from ``start`` to ``stop`` (excluded),
        person and region those of its entitlement; each entitlement's
        ``last_certified_at`` moved to its latest row. Inserted in entitlement
        order, an entitlement's rows in their order: the indexes keyed by
        entitlement are written page after page, not at random (a large
        import dirties fewer pages). The new ids, in that order."""
        opts, ent = Certification._meta, Entitlement._meta
        quote = self.connection.ops.quote_name
        fields = {f.attname: f for f in opts.concrete_fields}
        targets = ", ".join(
            quote(fields[name].column)
            for name in (*COLUMNS, "person_id", "region_id", "channel", "operator_name")
        )
        picked = ", ".join(f"t.{quote(name)}" for name in COLUMNS)
        fixed = [
            fields["channel"].get_db_prep_save(channel, self.connection),
            fields["operator_name"].get_db_prep_save(operator_name, self.connection),
        ]
        entitlement = quote(ent.db_table)
        last = quote(ent.get_field("last_certified_at").column)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(opts.db_table)} ({targets})"  # noqa: S608 the models' names
                f" SELECT {picked}, e.{quote('person_id')}, e.{quote('region_id')},"
                f" %s, %s FROM {self.temp} t JOIN {entitlement} e"
                f" ON e.{quote(ent.pk.column)} = t.entitlement_id"
                " WHERE t.n >= %s AND t.n < %s ORDER BY t.entitlement_id, t.n"
                f" RETURNING {quote(opts.pk.column)}",
                [*fixed, start, stop],
            )
            ids = [row[0] for row in cursor.fetchall()]
            # A person's rows in a run come in time order (evidence.py skips
            # older ones): the latest is the maximum.
            cursor.execute(
                f"UPDATE {entitlement} SET {last} = latest.at"  # noqa: S608 the models' names
                " FROM (SELECT entitlement_id, max(certified_at) AS at"
                f" FROM {self.temp} WHERE n >= %s AND n < %s"
                " GROUP BY entitlement_id) latest"
                f" WHERE {entitlement}.{quote(ent.pk.column)} = latest.entitlement_id",
                [start, stop],
            )
        return ids


@contextlib.contextmanager
def staged(rows: Sequence[CheckedRow]) -> Iterator[Staged]:
    """The rows in the temporary table, each with a new public id and receipt
    code, for the duration of the ``with``.

    Rows that share one ``evidence`` dict (the same object) share its prepared
    value: pass one dict per distinct evidence, not a copy per row.
    """
    opts = Certification._meta
    alias = router.db_for_write(Certification)
    connection = connections[alias]
    fields = {f.attname: f for f in opts.concrete_fields}
    public_id = fields["public_id"].get_db_prep_save
    new_public_id = fields["public_id"].get_default  # the model's time-ordered ids
    at_field, evidence_field = fields["certified_at"], fields["evidence"]
    times: dict[datetime.datetime, Any] = {}
    # id() of an evidence dict -> (the dict, kept alive; its prepared value)
    evidence: dict[int, tuple[dict[str, Any], Any]] = {}
    codes = new_receipt_codes(len(rows))
    params: list[tuple[Any, ...]] = []
    for n, ((entitlement, at, proof), code) in enumerate(zip(rows, codes, strict=True)):
        if at not in times:
            times[at] = shared_value(at_field.get_db_prep_save(at, connection))
        if id(proof) not in evidence:
            prepared = shared_value(evidence_field.get_db_prep_save(proof, connection))
            evidence[id(proof)] = (proof, prepared)
        params.append(
            (
                n,
                public_id(new_public_id(), connection),
                entitlement,
                times[at],
                evidence[id(proof)][1],
                code,
            )
        )
    stage = Staged(connection)
    columns = ", ".join(
        f"{connection.ops.quote_name(name)} {fields[name].db_type(connection)}"
        for name in COLUMNS
    )
    # A savepoint: a failure leaves neither the table nor half the rows.
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {stage.temp}"
                f" (n integer PRIMARY KEY, {columns})"
            )
        append_rows(connection, TEMP_TABLE, ("n", *COLUMNS), params)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Statistics, so that the joins look entitlements up by key.
                cursor.execute(f"ANALYZE {stage.temp}")
        yield stage
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {stage.temp}")


@contextlib.contextmanager
def page_cache(kib: int | None) -> Iterator[None]:
    """SQLite: the connection's page cache at ``kib`` KiB for the ``with``,
    then back to what it was (other databases, or ``None``: nothing)."""
    connection = connections[router.db_for_write(Certification)]
    if kib is None or connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        before = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def insert_certifications(
    rows: Sequence[CheckedRow], *, channel: str, operator_name: str
) -> list[int]:
    """Insert one certification per row and move ``last_certified_at``: the
    new rows' ids, in entitlement order (``Staged.certify``)."""
    if not rows:
        return []
    with staged(rows) as stage:
        return stage.certify(0, len(rows), channel=channel, operator_name=operator_name)
