# ruff: noqa: S608  (the SQL is built from this file's constants and model tables only)
"""Benchmark: evidence pushed through the integration API, next to the Excel
import and plain SQL doing the same work; and the pull of 1,000,000
certifications in pages.

Seeds ``--persons`` pensioners (``manage.py seed_demo``, five certifications
each), then takes ``--rows`` pensioners with one normal entitlement each, not
certified for two days, and has each contender below certify all of them by
数据比对, so that each does the same work (every row a new certification):

- **API**: ``POST /api/v1/evidence/`` in batches of ``API_MAX_BATCH_ROWS``
  through the Django test client (token, parsing, checks, idempotency record,
  certifications, audit rows and their hash chain, the call's audit row),
  evidence dated the day before yesterday;
- **Excel**: the same rows as one .xlsx through ``import_comparison`` (the
  sheet is made before the clock starts), dated yesterday;
- **plain SQL**: the rows into a temporary table, then one INSERT ... SELECT of
  certifications matched by number and name, one UPDATE of
  ``last_certified_at`` and one INSERT ... SELECT of audit rows, through the
  same connection, in one transaction, dated today. It does not chain the
  audit rows: that is timed on its own afterwards (``audit.chain_pending``) and
  shown beside it;
- **plain SQL in the API's batches**: the same statements, one transaction per
  ``API_MAX_BATCH_ROWS`` rows as the API commits them, each batch's audit rows
  chained after it (timed apart), dated earlier today. What the batches cost
  in themselves: every batch moves ``last_certified_at`` of rows spread over
  the whole table, so it rewrites most pages of the indexes that hold it, and
  one transaction does that once.

On SQLite each of them starts with an empty write-ahead log and its clock
ends once the log is copied back into the database file (``write_back_log``):
a checkpoint that its commits left is its own cost, not the next one's.

Before each contender but the first, the rows' ``last_certified_at`` goes
back to the seed's times (outside the clocks, ``_restore``): each contender
then moves it from the same places in its indexes, whatever its turn. The four
run ``--rounds`` times (3), each round on a fresh copy of the database as it
was before the first (``Snapshot``: the SQLite file copied, a PostgreSQL
database made from a template), so that no round finds the 400,000
certifications and the split index pages the rounds before it left; each
round is printed, then the medians and the median of the rounds' ratios, which
one noisy run moves less than a single figure.

Then pulls ``--pull-rows`` certifications (1,000,000) through
``GET /api/v1/certifications/`` in pages of ``API_PAGE_MAX``, next to the same
keyset pages read in SQL.

Prints the figures and, last, one JSON line. ``--api-only`` times the API's
push alone (half a minute), for turns of two commits on copies of one seed.

    .venv/bin/python bench/bench_api_push.py \
        --database-url sqlite:///$PWD/var/bench_api.sqlite3
"""

import argparse
import datetime
import io
import json
import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from benchlib import (
    ROOT,
    cpu_seconds,
    percentile,
    pick_pensioners,
    plain_sql_certify,
    prepare,
    write_back_log,
)


def _api_batches(
    people: list[tuple[str, str]],
) -> list[tuple[int, list[tuple[str, str]]]]:
    """``people`` cut as the API takes them: (first row, rows) per batch."""
    from django.conf import settings

    size = settings.API_MAX_BATCH_ROWS
    return [
        (start, people[start : start + size]) for start in range(0, len(people), size)
    ]


def _over(api: dict[str, Any], run: dict[str, Any]) -> tuple[float, float]:
    """The API's time over ``run``'s, and over ``run``'s with its chain."""
    return (
        round(api["s"] / run["s"], 2),
        round(api["s"] / (run["s"] + run["chain_s"]), 2),
    )


def _push_api(
    people: list[tuple[str, str]], today: str, round_: int = 1
) -> dict[str, Any]:
    from django.test import Client

    from lifecert.api.services import issue_token

    _, token = issue_token(
        system_name="bench", scopes=["push_evidence"], region=None, acting_user=None
    )
    client = Client()
    ssn, name = people[0]
    first_row = {"ssn": ssn, "name": name, "date": today, "source": "医保就医"}
    bodies = [
        json.dumps(
            {
                "batch_id": f"bench-{round_}-{start}",
                "rows": [
                    {"ssn": s, "name": n, "date": today, "source": "医保就医"}
                    for s, n in batch
                ],
            },
            ensure_ascii=False,
        )
        for start, batch in _api_batches(people)
    ]
    # The first request of a process imports every URLconf (2.5-4 s): a warm
    # server has done that, so one dry-run row goes before the clock.
    warm = {"batch_id": "bench-warm", "dry_run": True, "rows": [first_row]}
    response = client.post(
        "/api/v1/evidence/",
        json.dumps(warm, ensure_ascii=False),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.content[:500]
    changed = 0
    write_back_log(empty=True)
    cpu = cpu_seconds()
    started = time.perf_counter()
    for body in bodies:
        response = client.post(
            "/api/v1/evidence/",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.content[:500]
        changed += response.json()["changed"]
    write_back_log()
    seconds = time.perf_counter() - started
    client, server = (b - a for a, b in zip(cpu, cpu_seconds(), strict=True))
    return {
        "s": seconds,
        "changed": changed,
        "requests": len(bodies),
        "cpu_s": round(client, 2),
        "db_cpu_s": round(server, 2),
    }


def _push_excel(people: list[tuple[str, str]], today: str) -> dict[str, Any]:
    from openpyxl import Workbook

    from lifecert.certification.imports import COMPARISON_COLUMNS, import_comparison
    from lifecert.registry.models import Region

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(COMPARISON_COLUMNS)
    for ssn, name in people:
        sheet.append([ssn, name, today, "医保就医"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    write_back_log(empty=True)
    started = time.perf_counter()
    result = import_comparison(
        data, acting_user=None, regions=list(Region.objects.all())
    )
    write_back_log()
    seconds = time.perf_counter() - started
    return {"s": seconds, "changed": result.changed, "xlsx_bytes": len(data)}


def _plain_sql_batched(
    people: list[tuple[str, str]], at: datetime.datetime
) -> dict[str, Any]:
    """``plain_sql_certify`` in the API's batches, one transaction each; the
    log written back once, at the end (timed with the statements)."""
    write_back_log(empty=True)
    runs = [plain_sql_certify(batch, at) for _, batch in _api_batches(people)]
    started = time.perf_counter()
    write_back_log()
    written_back = time.perf_counter() - started
    totals = {
        key: sum(run[key] for run in runs)
        for key in ("s", "changed", "chain_s", "cpu_s", "db_cpu_s")
    }
    totals["s"] += written_back
    return {key: round(value, 2) for key, value in totals.items()} | {
        "transactions": len(runs)
    }


def _seed_times(people: list[tuple[str, str]]) -> list[tuple[Any, int]]:
    """(``last_certified_at`` as stored, entitlement id) of ``people``'s
    entitlements, as the seed left them."""
    from django.db import connection

    from lifecert.registry.models import Entitlement

    numbers = [ssn for ssn, _name in people]
    saved: list[tuple[Any, int]] = []
    for start in range(0, len(numbers), 5000):
        saved += [
            (connection.ops.adapt_datetimefield_value(at), pk)
            for at, pk in Entitlement.objects.filter(
                person__ssn__in=numbers[start : start + 5000]
            ).values_list("last_certified_at", "pk")
        ]
    return saved


def _restore(saved: list[tuple[Any, int]]) -> None:
    """Outside the clocks: ``last_certified_at`` back to the seed's times, so
    that every contender moves it from the same scattered places.

    Otherwise a contender would find the entries of its rows in the three
    indexes that hold it side by side, all at the one time the contender
    before it wrote, and would rewrite far fewer pages: plain SQL in the API's
    batches took 5.5 s run third, against 7.7 s run first."""
    from django.db import connection, transaction

    from lifecert.certification.models import Certification
    from lifecert.core.models import AuditEvent
    from lifecert.registry.models import Entitlement

    table = Entitlement._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET last_certified_at = %s WHERE id = %s", saved
        )
    if connection.vendor == "postgresql":
        # The dead rows and the 100,000 new ones a contender leaves: vacuumed
        # here, not by autovacuum during the next contender's clock (which it
        # did once, in a third round: the API 48 s, the server's CPU 42 s).
        with connection.cursor() as cursor:
            for model in (Entitlement, Certification, AuditEvent):
                cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
    write_back_log(empty=True)


class Snapshot:
    """The bench's database as it is now, kept aside (outside every clock) and
    brought back before each round but the first.

    SQLite: the file copied once its log is written back; PostgreSQL: a
    database made with the bench's as its template, and the bench's made again
    from it (the role needs CREATEDB, as the test suite's does).
    """

    def __init__(self) -> None:
        from django.db import connection

        self.vendor = connection.vendor
        self.name = str(connection.settings_dict["NAME"])
        # The copy beside the file; a database name takes no dot.
        self.copy = f"{self.name}{'.round' if self.vendor == 'sqlite' else '_round'}"
        self.strategy = ""
        if self.vendor == "postgresql":
            connection.ensure_connection()
            if connection.pg_version >= 150000:
                self.strategy = " STRATEGY FILE_COPY"
        write_back_log(empty=True)
        connection.close()
        if self.vendor == "sqlite":
            shutil.copyfile(self.name, self.copy)
        else:
            self._admin(f"DROP DATABASE IF EXISTS {self.copy}")
            self._copy(self.name, self.copy)
        self._settle()

    def _admin(self, sql: str) -> None:
        """One statement on the server's ``postgres`` database, out of any
        transaction (as CREATE and DROP DATABASE need)."""
        import psycopg
        from django.db import connection

        settings = connection.settings_dict
        with psycopg.connect(
            dbname="postgres",
            user=settings["USER"],
            password=settings["PASSWORD"],
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
            autocommit=True,
        ) as admin:
            admin.execute(sql)

    def _copy(self, source: str, target: str) -> None:
        """PostgreSQL: ``target`` made from ``source``, file by file (15's
        default strategy writes the whole copy through the log instead, which
        the next checkpoint then writes again, within a clock)."""
        self._admin(f"CREATE DATABASE {target} TEMPLATE {source}{self.strategy}")

    def _settle(self) -> None:
        """The copy on disk before any clock: otherwise the first fsync of a
        contender (SQLite's checkpoint of the database file) or the kernel's
        writeback of gigabytes of dirty pages falls within its time."""
        if self.vendor == "postgresql":
            self._admin("CHECKPOINT")
        os.sync()

    def bring_back(self) -> None:
        from django.db import connection

        connection.close()
        if self.vendor == "sqlite":
            for suffix in ("-wal", "-shm"):
                Path(f"{self.name}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.copy, self.name)
        else:
            self._admin(f"DROP DATABASE {self.name}")
            self._copy(self.copy, self.name)
        self._settle()

    def remove(self) -> None:
        if self.vendor == "sqlite":
            Path(self.copy).unlink(missing_ok=True)
        else:
            self._admin(f"DROP DATABASE IF EXISTS {self.copy}")


def _round(
    n: int,
    people: list[tuple[str, str]],
    days: list[datetime.date],
    saved: list[tuple[Any, int]],
) -> dict[str, Any]:
    """One round: each contender certifies ``people`` from the seed's times."""
    from lifecert.certification.evidence import _noon

    api = _push_api(people, days[0].isoformat(), n)
    _restore(saved)
    excel = _push_excel(people, days[1].isoformat())
    _restore(saved)
    batched = _plain_sql_batched(people, _noon(days[2]) - datetime.timedelta(hours=3))
    _restore(saved)
    plain = plain_sql_certify(people, _noon(days[2]), write_back=True)
    rows = len(people)
    assert api["changed"] == excel["changed"] == plain["changed"] == rows, (
        api,
        excel,
        plain,
    )
    assert batched["changed"] == rows, batched
    over_plain, over_batched = _over(api, plain), _over(api, batched)
    return {
        "api": api,
        "excel": excel,
        "plain_sql": plain,
        "api_over_sql": over_plain[0],
        "api_over_sql_and_chain": over_plain[1],
        "plain_sql_batched": batched,
        "api_over_batched_sql": over_batched[0],
        "api_over_batched_sql_and_chain": over_batched[1],
    }


def _pull(page: int, most: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    from lifecert.api.services import issue_token
    from lifecert.certification.models import Certification
    from lifecert.registry.models import Person, Region, Unit

    _, token = issue_token(
        system_name="bench-pull",
        scopes=["pull_certifications"],
        region=None,
        acting_user=None,
    )
    client = Client()
    headers = {"Authorization": f"Bearer {token}"}
    rows = pages = 0
    cursor_value = ""
    each: list[float] = []  # every page's time: the budget is a page's p95
    started = time.perf_counter()
    while True:
        query = {"limit": page, **({"cursor": cursor_value} if cursor_value else {})}
        asked = time.perf_counter()
        body = client.get("/api/v1/certifications/", query, headers=headers).json()
        each.append(time.perf_counter() - asked)
        rows += len(body["results"])
        pages += 1
        cursor_value = body["next_cursor"]
        if not body["has_more"] or rows >= most:
            break
    api_s = time.perf_counter() - started
    cert = Certification._meta.db_table
    sql = (
        f"SELECT c.id, p.ssn, p.name, r.code, e.public_id, c.public_id,"
        f" c.certified_at, c.channel, u.number FROM {cert} c"
        f" JOIN {Person._meta.db_table} p ON p.id = c.person_id"
        f" JOIN {Region._meta.db_table} r ON r.id = c.region_id"
        " LEFT JOIN registry_entitlement e ON e.id = c.entitlement_id"
        f" LEFT JOIN {Unit._meta.db_table} u ON u.id = c.unit_id"
        " WHERE c.id > %s ORDER BY c.id LIMIT %s"
    )
    sql_rows, after = 0, 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [after, page + 1])
            got = cursor.fetchall()[:page]
            sql_rows += len(got)
            if len(got) < page or sql_rows >= most:
                break
            after = got[-1][0]
    sql_s = time.perf_counter() - started
    return {
        "api_s": api_s,
        "page_p50_ms": round(percentile(each, 50) * 1000, 1),
        "page_p95_ms": round(percentile(each, 95) * 1000, 1),
        "page_max_ms": round(max(each) * 1000, 1),
        "rows": rows,
        "pages": pages,
        "sql_s": sql_s,
        "sql_rows": sql_rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench_api.sqlite3'}"
    )
    parser.add_argument("--persons", type=int, default=220_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded data")
    parser.add_argument("--pull-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-pull", action="store_true")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of the four contenders, each from the seed's times; medians",
    )
    parser.add_argument(
        "--api-only",
        action="store_true",
        help="the API's push alone (no Excel, no plain SQL, no pull):"
        " for turns of two commits",
    )
    args = parser.parse_args()
    prepare(args)
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from lifecert.certification.models import Certification

    today = timezone.localdate()
    days = [today - datetime.timedelta(days=n) for n in (2, 1, 0)]
    people = pick_pensioners(args.rows, days[0])
    if args.api_only:
        api = _push_api(people, days[0].isoformat())
        assert api["changed"] == args.rows, api
        print(
            f"push {args.rows:,} evidence rows ({connection.vendor}): API"
            f" {api['s']:.1f} s in {api['requests']} requests | CPU"
            f" {api['cpu_s']:.1f} s here + {api['db_cpu_s']:.1f} s in the server"
        )
        print(
            json.dumps({"database": connection.vendor, "rows": args.rows, "api": api})
        )
        return
    saved = _seed_times(people)
    snapshot = Snapshot() if args.rounds > 1 else None
    if snapshot is None:
        os.sync()  # as Snapshot does: a database just copied in is on disk first
    rounds = []
    for n in range(1, args.rounds + 1):
        if n > 1 and snapshot is not None:
            snapshot.bring_back()
        run = _round(n, people, days, saved)
        rounds.append(run)
        api, excel, plain, batched = (
            run[key] for key in ("api", "excel", "plain_sql", "plain_sql_batched")
        )
        print(
            f"round {n}: push {args.rows:,} evidence rows ({connection.vendor}):"
            f" API {api['s']:.1f} s in {api['requests']} requests |"
            f" Excel import {excel['s']:.1f} s |"
            f" plain SQL {plain['s']:.1f} s (+ audit chain {plain['chain_s']:.1f} s)"
            f" | API / plain SQL {run['api_over_sql']:.2f}x,"
            f" / (SQL + chain) {run['api_over_sql_and_chain']:.2f}x"
        )
        print(
            f"  plain SQL in {batched['transactions']} transactions of"
            f" {settings.API_MAX_BATCH_ROWS:,} rows, as the API's batches:"
            f" {batched['s']:.1f} s (+ audit chain {batched['chain_s']:.1f} s)"
            f" | API / batched plain SQL {run['api_over_batched_sql']:.2f}x,"
            f" / (SQL + chain) {run['api_over_batched_sql_and_chain']:.2f}x"
        )
        print(
            f"  CPU: API {api['cpu_s']:.1f} s here + {api['db_cpu_s']:.1f} s in the"
            f" database server | plain SQL {plain['cpu_s']:.1f} s +"
            f" {plain['db_cpu_s']:.1f} s (without its chain)"
        )

    if snapshot is not None:
        snapshot.remove()

    def median(values: list[float]) -> float:
        return round(statistics.median(values), 2)

    seconds = {
        key: median([run[key]["s"] for run in rounds])
        for key in ("api", "excel", "plain_sql", "plain_sql_batched")
    }
    ratios = {
        key: median([run[key] for run in rounds])
        for key in ("api_over_sql", "api_over_batched_sql")
    }
    spread = [run["api_over_sql"] for run in rounds]
    print(
        f"median of {len(rounds)} rounds: API {seconds['api']:.1f} s |"
        f" Excel import {seconds['excel']:.1f} s |"
        f" plain SQL {seconds['plain_sql']:.1f} s |"
        f" plain SQL in the API's batches {seconds['plain_sql_batched']:.1f} s |"
        f" API / plain SQL {ratios['api_over_sql']:.2f}x"
        f" (rounds {min(spread):.2f}-{max(spread):.2f}x),"
        f" / batched plain SQL {ratios['api_over_batched_sql']:.2f}x"
    )
    results: dict[str, Any] = {
        "database": connection.vendor,
        "rows": args.rows,
        "rounds": rounds,
        "median_s": seconds,
        "median_ratios": ratios,
        "api_over_sql_by_round": spread,
    }
    if not args.skip_pull:
        total = Certification.objects.count()
        pull = _pull(settings.API_PAGE_MAX, args.pull_rows)
        print(
            f"pull {pull['rows']:,} of {total:,} certifications in {pull['pages']}"
            f" pages of {settings.API_PAGE_MAX}: API {pull['api_s']:.1f} s"
            f" ({pull['api_s'] / pull['pages'] * 1000:.1f} ms a page; p50"
            f" {pull['page_p50_ms']:.1f}, p95 {pull['page_p95_ms']:.1f}, most"
            f" {pull['page_max_ms']:.1f} ms) |"
            f" plain SQL keyset pages {pull['sql_s']:.1f} s |"
            f" ratio {pull['api_s'] / pull['sql_s']:.2f}x"
        )
        results["pull"] = {**pull, "ratio": round(pull["api_s"] / pull["sql_s"], 2)}
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
