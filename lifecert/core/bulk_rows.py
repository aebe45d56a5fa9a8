"""Many rows appended to one table by the database's own bulk path.

PostgreSQL: one ``COPY … FROM STDIN`` through psycopg's cursor, each value
adapted by psycopg as a query parameter would be; no statement with thousands
of parameters to bind and plan. SQLite: one ``executemany`` on the sqlite3
connection itself (Django's cursor wrapper would re-read every row's
parameters). The demo loader and the set-based certifications
(``certification/bulk.py``) both write this way.
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
    ``columns``. The names are quoted here; they are code's names, never input.
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
            marks = ", ".join(["?"] * len(columns))
            connection.connection.executemany(
                f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})",  # noqa: S608 code's names
                rows,
            )
