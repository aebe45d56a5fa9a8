"""Many certifications at once, in set-based SQL.

The 数据比对 path of ``evidence.py`` writes 5,000 certifications per pushed
batch. ``bulk_create`` built a model instance per row and prepared each of its
eleven values one by one: with the instances that matched the rows, that was
most of the push's Python time (bench/bench_api_push.py). Here each row is a
tuple, the values that repeat (time, evidence) are prepared once, and the rows
go into a temporary table (PostgreSQL: ``COPY``; SQLite: ``executemany``),
from which one ``INSERT … SELECT … RETURNING`` writes them all, as the plain
SQL the benches compare against does. Large ``INSERT … VALUES`` statements of
4,500 parameters cost PostgreSQL 100–250 ms each to bind and plan, 40 of them
per 20,000 rows (docs/benchmarks.md). Values are still prepared by the model's
own fields, so both databases store exactly what the ORM would.
"""

import datetime
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import connections, router, transaction

from .models import Certification
from .services import new_receipt_codes

# What each row gives the temporary table, in its order; channel and operator
# name are the same for every row and go into the INSERT … SELECT itself.
COLUMNS = (
    "public_id",
    "person_id",
    "region_id",
    "entitlement_id",
    "certified_at",
    "evidence",
    "receipt_code",
)
FIXED = ("channel", "operator_name")
# Dropped at the end of each call; the name is this module's alone.
TEMP_TABLE = "bulk_new_certification"

# (person_id, region_id, entitlement_id, certified_at, evidence)
NewCertification = tuple[int, int, int, datetime.datetime, dict[str, Any]]


def insert_certifications(
    rows: Sequence[NewCertification], *, channel: str, operator_name: str
) -> list[int]:
    """Insert one certification per row, each with a new public id and receipt
    code; the new rows' ids, in the order of ``rows``.

    Rows that share one ``evidence`` dict (the same object) share its prepared
    value: pass one dict per distinct evidence, not a copy per row.
    """
    if not rows:
        return []
    opts = Certification._meta
    alias = router.db_for_write(Certification)
    connection = connections[alias]
    fields = {f.attname: f for f in opts.concrete_fields}
    public_id = fields["public_id"].get_db_prep_save
    at_field, evidence_field = fields["certified_at"], fields["evidence"]
    times: dict[datetime.datetime, Any] = {}
    # id() of an evidence dict -> (the dict, kept alive; its prepared value)
    evidence: dict[int, tuple[dict[str, Any], Any]] = {}
    codes = new_receipt_codes(len(rows))
    params: list[tuple[Any, ...]] = []
    for n, ((person, region, entitlement, at, proof), code) in enumerate(
        zip(rows, codes, strict=True)
    ):
        if at not in times:
            times[at] = at_field.get_db_prep_save(at, connection)
        if id(proof) not in evidence:
            prepared = evidence_field.get_db_prep_save(proof, connection)
            evidence[id(proof)] = (proof, prepared)
        params.append(
            (
                n,
                public_id(uuid.uuid4(), connection),
                person,
                region,
                entitlement,
                times[at],
                evidence[id(proof)][1],
                code,
            )
        )
    quote = connection.ops.quote_name
    temp = quote(TEMP_TABLE)
    columns = ", ".join(
        f"{quote(name)} {fields[name].db_type(connection)}" for name in COLUMNS
    )
    names = ", ".join(quote(name) for name in COLUMNS)
    targets = ", ".join(quote(fields[name].column) for name in (*COLUMNS, *FIXED))
    fixed = [
        fields[name].get_db_prep_save(value, connection)
        for name, value in zip(FIXED, (channel, operator_name), strict=True)
    ]
    # A savepoint: a failure leaves neither the table nor half the rows.
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} (n integer, {columns})")
        if connection.vendor == "postgresql":
            # COPY, through psycopg's own cursor: one stream, no statement
            # with thousands of parameters to bind and plan.
            with cursor.cursor.copy(f"COPY {temp} (n, {names}) FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * (len(COLUMNS) + 1))
            cursor.executemany(
                f"INSERT INTO {temp} (n, {names}) VALUES ({marks})",  # noqa: S608 this module's names
                params,
            )
        cursor.execute(
            f"INSERT INTO {quote(opts.db_table)} ({targets})"  # noqa: S608 the model's names
            f" SELECT {names}, %s, %s FROM {temp} ORDER BY n"
            f" RETURNING {quote(opts.pk.column)}",
            fixed,
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"DROP TABLE {temp}")
    return ids
