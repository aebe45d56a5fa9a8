"""Many certifications at once, in set-based SQL.

The 数据比对 path of ``evidence.py`` writes 5,000 certifications per pushed
batch. ``bulk_create`` built a model instance per row and prepared each of its
eleven values one by one: with the instances that matched the rows, that was
most of the push's Python time (bench/bench_api_push.py). Here each row is a
tuple, the values that repeat (time, evidence) are prepared once, and one
``INSERT … VALUES … RETURNING`` writes ``ROWS_PER_INSERT`` rows. Values are
still prepared by the model's own fields, so both databases store exactly what
the ORM would.
"""

import datetime
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import connections, router

from .models import Certification
from .services import new_receipt_codes

# 9 parameters a row: 4,500 a statement, under SQLite's limit of 32,766 (the
# default since 3.32; RETURNING needs 3.35) and PostgreSQL's 65,535.
ROWS_PER_INSERT = 500

COLUMNS = (
    "public_id",
    "person_id",
    "region_id",
    "entitlement_id",
    "certified_at",
    "channel",
    "operator_name",
    "evidence",
    "receipt_code",
)

# (person_id, region_id, entitlement_id, certified_at, evidence)
NewCertification = tuple[int, int, int, datetime.datetime, dict[str, Any]]


def insert_certifications(
    rows: Sequence[NewCertification], *, channel: str, operator_name: str
) -> list[int]:
    """Insert one certification per row, each with a new public id and receipt
    code; the new rows' ids (in no promised order).

    Rows that share one ``evidence`` dict (the same object) share its prepared
    value: pass one dict per distinct evidence, not a copy per row.
    """
    opts = Certification._meta
    connection = connections[router.db_for_write(Certification)]
    fields = {f.attname: f for f in opts.concrete_fields}
    public_id = fields["public_id"].get_db_prep_save
    at_field, evidence_field = fields["certified_at"], fields["evidence"]
    fixed = [
        fields["channel"].get_db_prep_save(channel, connection),
        fields["operator_name"].get_db_prep_save(operator_name, connection),
    ]
    times: dict[datetime.datetime, Any] = {}
    # id() of an evidence dict -> (the dict, kept alive; its prepared value)
    evidence: dict[int, tuple[dict[str, Any], Any]] = {}
    codes = new_receipt_codes(len(rows))
    params: list[list[Any]] = []
    for (person, region, entitlement, at, proof), code in zip(rows, codes, strict=True):
        if at not in times:
            times[at] = at_field.get_db_prep_save(at, connection)
        if id(proof) not in evidence:
            prepared = evidence_field.get_db_prep_save(proof, connection)
            evidence[id(proof)] = (proof, prepared)
        params.append(
            [
                public_id(uuid.uuid4(), connection),
                person,
                region,
                entitlement,
                times[at],
                *fixed,
                evidence[id(proof)][1],
                code,
            ]
        )
    quote = connection.ops.quote_name
    names = ", ".join(quote(fields[name].column) for name in COLUMNS)
    row_marks = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(params), ROWS_PER_INSERT):
            chunk = params[start : start + ROWS_PER_INSERT]
            cursor.execute(
                f"INSERT INTO {quote(opts.db_table)} ({names})"  # noqa: S608 the model's names
                f" VALUES {', '.join([row_marks] * len(chunk))}"
                f" RETURNING {quote(opts.pk.column)}",
                [value for row in chunk for value in row],
            )
            ids.extend(row[0] for row in cursor.fetchall())
    return ids
