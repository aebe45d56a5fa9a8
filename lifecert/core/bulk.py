"""Rows appended by the database's own bulk path.

``append_rows`` is how the bulk writers add many rows at once: the evidence
batches' temporary table (``certification/bulk.py``), the audit rows a bulk
writer links as it writes them (``audit.record_many`` inside
``linked_before_commit``) and the demo loader (``demo/loader.py``). A
prepared INSERT per row, or one multi-row ``INSERT … VALUES``, cost more than
twice as much on PostgreSQL: psycopg finds every placeholder of a large
statement in Python, and the server binds and plans it (docs/benchmarks.md).
"""

import datetime
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg.types.json import Json, Jsonb


def append_rows(
    connection: BaseDatabaseWrapper,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> None:
    """Append ``rows`` (values already in the database's form: prepared by the
    model's fields, or plain numbers, text and dates) to ``table``'s
    ``columns``, by the database's own bulk path: PostgreSQL one ``COPY … FROM
    STDIN`` (each value adapted by psycopg as a parameter would be), SQLite one
    ``executemany`` on the sqlite3 connection (Django's cursor wrapper would
    re-read every row's parameters). The names are quoted here; they are
    code's names, never input.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's cursor under Django's wrapper
            with raw.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            connection.connection.executemany(
                f"INSERT INTO {quote(table)} ({names})"  # noqa: S608 code's names
                f" VALUES ({', '.join(['?'] * len(columns))})",
                rows,
            )


def shared_value(value: Any) -> Any:
    """A prepared value (``get_db_prep_save``, ``adapt_datetimefield_value``)
    that many appended rows repeat, in the form ``append_rows`` passes at
    least cost: psycopg adapts a value again for every row of a ``COPY`` (a
    datetime 2.5 µs a row; a JSON value is encoded again), a text costs
    nothing. PostgreSQL reads an aware datetime's ISO text as the same
    instant and a JSON wrapper's text (encoded by its own ``dumps``, as
    psycopg would) as the same value. SQLite's prepared values are text
    already."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, Json | Jsonb):
        return (value.dumps or json.dumps)(value.obj)
    return value
