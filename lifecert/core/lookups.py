"""``field__literal="value"``: equality with the value written into the SQL.

A partial index (``WHERE status = 'normal'``) is only usable when the query
repeats its condition literally; with a bound parameter SQLite cannot prove
the index covers the query and reads every row instead. Unlike a ``RawSQL``
condition, the lookup names the column through the query's own alias, so it
stays correct inside subqueries. Only plain identifiers from code are
accepted, never user input.
"""

from typing import Any

from django.db.models import Lookup


class Literal(Lookup):  # type: ignore[type-arg]  # generic only in the stubs, not at runtime
    lookup_name = "literal"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[str | int]]:
        lhs, params = self.process_lhs(compiler, connection)
        if not (isinstance(self.rhs, str) and self.rhs.isidentifier()):
            raise ValueError(f"not a literal: {self.rhs!r}")
        return f"{lhs} = '{self.rhs}'", list(params)
