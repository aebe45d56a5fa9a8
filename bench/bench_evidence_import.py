"""Benchmark (issue 12): an import of 1,000,000 数据比对 evidence rows through
the evidence service the Excel import uses, next to plain SQL doing the same
work.

Seeds ``--persons`` pensioners (``manage.py seed_demo``), takes ``--rows`` of
them with one normal entitlement each, not certified since the day before
yesterday, and certifies each of them twice:

- **import**: the rows as .xlsx files of at most ``IMPORT_MAX_ROWS`` rows (the
  import's limit a file: 200,000), made before the clock starts; each file
  read by ``sheet_rows`` and written by ``apply_rows``, which is what
  ``import_comparison`` does (matching, rules, the set-based write, the audit
  rows and their hash chain, one transaction a file); dated yesterday. Reading
  the sheets (openpyxl) and the service are timed apart;
- **plain SQL**: ``benchlib.plain_sql_certify``, the same rows dated today in
  one transaction of INSERT … SELECT / UPDATE statements, then the audit chain
  on its own.

Prints the figures and, last, one JSON line.

    .venv/bin/python bench/bench_evidence_import.py \\
        --database-url sqlite:///$PWD/var/bench_import.sqlite3
"""

import argparse
import datetime
import io
import json
import time
from typing import Any

from benchlib import (
    ROOT,
    cpu_seconds,
    pick_pensioners,
    plain_sql_certify,
    prepare,
)


def _sheets(people: list[tuple[str, str]], day: str, per_file: int) -> list[bytes]:
    from openpyxl import Workbook

    from lifecert.certification.imports import COMPARISON_COLUMNS

    files = []
    for start in range(0, len(people), per_file):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(COMPARISON_COLUMNS)
        for ssn, name in people[start : start + per_file]:
            sheet.append([ssn, name, day, "医保就医"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        files.append(buffer.getvalue())
    return files


def _import(files: list[bytes]) -> dict[str, Any]:
    from lifecert.certification.evidence import Kind, apply_rows
    from lifecert.certification.imports import sheet_rows
    from lifecert.registry.models import Region

    regions = list(Region.objects.all())
    read_s = service_s = 0.0
    cpu = [0.0, 0.0]  # the service's: this process, the database server
    changed = 0
    for data in files:
        started = time.perf_counter()
        rows = sheet_rows(data, Kind.COMPARISON)
        read = time.perf_counter()
        before = cpu_seconds()
        result = apply_rows(Kind.COMPARISON, rows, acting_user=None, regions=regions)
        service_s += time.perf_counter() - read
        for i, (a, b) in enumerate(zip(before, cpu_seconds(), strict=True)):
            cpu[i] += b - a
        read_s += read - started
        changed += result.changed
    return {
        "read_s": read_s,
        "service_s": service_s,
        "changed": changed,
        "cpu_s": round(cpu[0], 1),
        "db_cpu_s": round(cpu[1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench_import.sqlite3'}"
    )
    parser.add_argument("--persons", type=int, default=1_700_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded data")
    args = parser.parse_args()
    prepare(args)
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from lifecert.certification.evidence import _noon

    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    people = pick_pensioners(args.rows, yesterday - datetime.timedelta(days=1))
    started = time.perf_counter()
    files = _sheets(people, yesterday.isoformat(), settings.IMPORT_MAX_ROWS)
    build_s = time.perf_counter() - started
    size = sum(len(data) for data in files)
    print(f"{len(files)} .xlsx files, {size / 1e6:.1f} MB, made in {build_s:.1f} s")
    imported = _import(files)
    plain = plain_sql_certify(people, _noon(today))
    assert imported["changed"] == plain["changed"] == args.rows, (imported, plain)
    service, sql = imported["service_s"], plain["s"]
    with_chain = sql + plain["chain_s"]
    print(
        f"import {args.rows:,} evidence rows ({connection.vendor}):"
        f" reading the sheets {imported['read_s']:.1f} s |"
        f" evidence service {service:.1f} s |"
        f" plain SQL {sql:.1f} s (+ audit chain {plain['chain_s']:.1f} s) |"
        f" service / plain SQL {service / sql:.2f}x,"
        f" / (SQL + chain) {service / with_chain:.2f}x"
    )
    print(
        f"CPU: service {imported['cpu_s']:.1f} s here + {imported['db_cpu_s']:.1f} s"
        f" in the database server | plain SQL {plain['cpu_s']:.1f} s +"
        f" {plain['db_cpu_s']:.1f} s (without its chain)"
    )
    results = {
        "database": connection.vendor,
        "rows": args.rows,
        "files": len(files),
        "xlsx_bytes": size,
        "build_xlsx_s": round(build_s, 1),
        "read_s": round(imported["read_s"], 1),
        "service_s": round(service, 1),
        "service_cpu_s": imported["cpu_s"],
        "service_db_cpu_s": imported["db_cpu_s"],
        "plain_sql_s": round(sql, 1),
        "chain_s": round(plain["chain_s"], 1),
        "plain_sql_cpu_s": plain["cpu_s"],
        "plain_sql_db_cpu_s": plain["db_cpu_s"],
        "service_over_sql": round(service / sql, 2),
        "service_over_sql_and_chain": round(service / with_chain, 2),
        "import_over_sql_and_chain": round(
            (service + imported["read_s"]) / with_chain, 2
        ),
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
