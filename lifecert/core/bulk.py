"""Rows appended by the database's own bulk path.

``append_rows`` is how the bulk writers add many rows at once: the evidence
batches' temporary table (``certification/bulk.py``), the audit rows a bulk
writer links as it writes them (``audit.record_many`` inside
``linked_before_commit``) and the demo loader (``demo/loader.py``). A
prepared INSERT per row, or one multi-row ``INSERT … VALUES``, cost more than
twice as much on PostgreSQL: psycopg finds every placeholder of a large
statement in Python, and the server binds and plans it (docs/benchmarks.md).
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper


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
