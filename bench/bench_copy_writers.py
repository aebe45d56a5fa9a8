"""Benchmark: the demo loader's rows through ``bulk.append_rows`` (psycopg's
``write_row``) against the loader's former text ``COPY`` (kept here, as it
was), on PostgreSQL, in turns in one process (A/B).

``--persons`` persons' rows generated once (``demo.loader.generate``, untimed),
then written table by table into temporary copies of the tables (``LIKE``, no
indexes: the writers' own cost), in turns, the order reversed every other turn,
each turn rolled back. CPU seconds of this process and of the server's backend
(``benchlib.cpu_seconds``) beside wall time; prints them and one JSON line.

    .venv/bin/python bench/bench_copy_writers.py --persons 30000 \
        --database-url postgres://lifecert:lifecert@127.0.0.1:5432/lifecert_bench
"""

import argparse
import io
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchlib import ROOT, cpu_seconds, django_env

Writer = Callable[[str, Sequence[str], list[tuple[Any, ...]]], None]


def _pg_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


def text_copy(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """The loader's writer before ``append_rows`` (main at 2f08113)."""
    from django.db import connection

    with connection.cursor() as cursor:
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(_pg_text(v) for v in row))
            buffer.write("\n")
        with cursor.cursor.copy(
            f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
        ) as copy:
            copy.write(buffer.getvalue())


def write_rows(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    from django.db import connection

    from lifecert.certification.bulk import append_rows

    append_rows(connection, table, columns, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--persons", type=int, default=30_000)
    parser.add_argument("--turns", type=int, default=4)
    args = parser.parse_args()
    os.environ.update(django_env(args.database_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection, transaction

    from lifecert.certification.models import BackPay, Certification, SuspensionRun
    from lifecert.demo import loader as demo
    from lifecert.registry.models import Entitlement, Person

    assert connection.vendor == "postgresql", "COPY is PostgreSQL's"
    with transaction.atomic():
        rng = random.Random(2026)
        regions = demo.ensure_regions()
        units = demo.make_units(rng, regions, max(6, args.persons // 400))
        plan = demo.DemoPlan(persons=args.persons)
        chunks = list(demo.generate(plan, units, regions))
        transaction.set_rollback(True)
    tables = [
        (Person._meta.db_table, demo.PERSON_COLUMNS),
        (Entitlement._meta.db_table, demo.ENTITLEMENT_COLUMNS),
        (Certification._meta.db_table, demo.CERTIFICATION_COLUMNS),
        (BackPay._meta.db_table, demo.BACK_PAY_COLUMNS),
        (SuspensionRun.entitlements.through._meta.db_table, demo.RUN_LINK_COLUMNS),
    ]
    total = sum(len(part) for chunk in chunks for part in chunk)
    writers: list[tuple[str, Writer]] = [
        ("text COPY (before)", text_copy),
        ("append_rows", write_rows),
    ]
    runs = []
    for turn in range(args.turns):
        for name, write in writers if turn % 2 == 0 else writers[::-1]:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    for table, _ in tables:
                        cursor.execute(
                            f'CREATE TEMPORARY TABLE "tmp_{table}"'
                            f' (LIKE "{table}" INCLUDING DEFAULTS)'
                        )
                before, started = cpu_seconds(), time.perf_counter()
                for chunk in chunks:
                    for (table, columns), part in zip(tables, chunk, strict=True):
                        if part:
                            write(f"tmp_{table}", columns, part)
                wall = time.perf_counter() - started
                here, server = (
                    b - a for a, b in zip(before, cpu_seconds(), strict=True)
                )
                transaction.set_rollback(True)
            runs.append(
                {
                    "writer": name,
                    "turn": turn,
                    "s": round(wall, 2),
                    "cpu_s": round(here, 2),
                    "db_cpu_s": round(server, 2),
                }
            )
            print(
                f"turn {turn} {name:20s} wall {wall:5.2f} s  CPU {here:5.2f} s"
                f" + server {server:5.2f} s"
            )
    for name, _ in writers:
        mine = [run for run in runs if run["writer"] == name]
        here = sum(run["cpu_s"] for run in mine) / len(mine)
        server = sum(run["db_cpu_s"] for run in mine) / len(mine)
        print(f"{name:20s} CPU mean {here:.2f} s + server {server:.2f} s")
    print(json.dumps({"persons": args.persons, "rows": total, "runs": runs}))


if __name__ == "__main__":
    main()
