# ruff: noqa: S608  (the SQL is built from this file's constants only)
"""Benchmark: the employer portal at the scale of a large employer.

One unit of 50,000 pensioners among 1,000,000 persons and ~5,000,000
certifications (``manage.py seed_demo``). Measures, through the Django test
client, and next to the same work in SQL through the same connection:

- the request floor: the employer home page (session, user, binding,
  commitment check, layout; no data), p95;
- the list page 养老待遇资格认证登记 (first page; a search by ID number; a
  search by name prefix matching 10,000): p95 over ``--repeat`` requests, next
  to the plain SQL of the issue (NOT EXISTS over the certifications) and to
  our own statements written by hand ("tuned"), the three taken in turns;
- 保存 with "select all that match" for 10,000 pensioners (certifications,
  ``last_certified_at`` and one audit row each), rolled back after each run so
  the database stays as seeded;
- 导出 Excel of the 50,000-row roster: time, next to reading the rows in SQL
  and to writing the same rows with openpyxl's write-only mode; peak memory
  (Python heap by tracemalloc, and the process's peak RSS growth).

Prints the figures and, last, one JSON line.

    .venv/bin/python bench/bench_employer.py --database-url sqlite:///var/bench_employer.sqlite3
    .venv/bin/python bench/bench_employer.py \
        --database-url postgres://lifecert:lifecert@127.0.0.1:5432/lifecert_employer
"""

import argparse
import datetime
import io
import json
import os
import re
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchlib import django_env, public_id_sql, seed

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "欧阳"  # the 10,000 pensioners that "select all that match" certifies


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(repeat: int, work: Callable[[], Any], warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        work()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def interleaved(
    repeat: int, *works: Callable[[], Any], warmup: int = 2
) -> list[list[float]]:
    """Samples of each work, taken in turns (rotating who goes first), so a
    noisy moment of the machine falls on all of them alike."""
    for _ in range(warmup):
        for work in works:
            work()
    samples: list[list[float]] = [[] for _ in works]
    for round_ in range(repeat):
        for offset in range(len(works)):
            index = (round_ + offset) % len(works)
            started = time.perf_counter()
            works[index]()
            samples[index].append((time.perf_counter() - started) * 1000)
    return samples


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench_employer.sqlite3'}"
    )
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--unit-size", type=int, default=50_000)
    parser.add_argument("--save-size", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--save-runs", type=int, default=3)
    parser.add_argument(
        "--reuse", action="store_true", help="keep an already seeded database"
    )
    args = parser.parse_args()
    seed(args, "--big-unit-size", str(args.unit_size), quiet=False)

    os.environ.update(django_env(args.database_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from lifecert.accounts.models import User
    from lifecert.certification.cycle import due_date, month_start
    from lifecert.certification.models import Certification
    from lifecert.demo import loader as demo
    from lifecert.employer.models import Commitment
    from lifecert.registry.models import Entitlement, Person, Unit

    settings.DEBUG = False  # no query log in memory while measuring
    vendor = connection.vendor
    unit = Unit.objects.get(number=demo.DEMO_BIG_UNIT)
    user = User.objects.get(username="demo_unit")
    binding = user.bindings.get(unit=unit)
    Commitment.objects.get_or_create(
        account=user,
        unit=unit,
        version=settings.COMMITMENT_LETTER_VERSION,
        defaults={"operator_name": binding.operator_name},
    )
    start = month_start()
    pending = Entitlement.objects.filter(
        unit=unit, status=Entitlement.Status.NORMAL
    ).exclude(last_certified_at__gte=start)
    marked = pending.filter(person__name__startswith=PREFIX).count()
    if marked < args.save_size:
        chosen = list(
            pending.exclude(person__name__startswith=PREFIX)
            .order_by("id")
            .values_list("person_id", flat=True)[: args.save_size - marked]
        )
        with transaction.atomic():
            for index in range(0, len(chosen), 5000):
                batch = chosen[index : index + 5000]
                with connection.cursor() as cursor:
                    cursor.execute(
                        "UPDATE registry_person SET name = %s || name WHERE id IN ("
                        + ", ".join(["%s"] * len(batch))
                        + ")",
                        [PREFIX, *batch],
                    )
    counts = {
        "persons": Person.objects.count(),
        "certifications": Certification.objects.count(),
        "unit_pensioners": Entitlement.objects.filter(unit=unit).count(),
        "unit_pending": pending.count(),
        "matching_search": pending.filter(person__name__startswith=PREFIX).count(),
    }
    print(f"database: {vendor}  {json.dumps(counts)}")
    sample_ssn = pending.order_by("id").values_list("person__ssn", flat=True)[500]

    client = Client()
    client.force_login(user)
    list_url = reverse("employer:certify-list")

    def page(params: dict[str, str], url: str = list_url) -> Callable[[], None]:
        def get() -> None:
            response = client.get(url, params)
            assert response.status_code == 200, response.status_code

        return get

    ms_param = connection.ops.adapt_datetimefield_value(start)
    where = (
        "e.unit_id = %s AND e.status = 'normal'"
        " AND (e.last_certified_at IS NULL OR e.last_certified_at < %s)"
    )
    join = " JOIN registry_person p ON p.id = e.person_id"

    def run_sql(*statements: tuple[str, list[Any]]) -> Callable[[], None]:
        def run() -> None:
            with connection.cursor() as cursor:
                for sql, params in statements:
                    cursor.execute(sql, params)
                    cursor.fetchall()

        return run

    def tuned_page(extra: str = "", extra_params: tuple[Any, ...] = ()) -> Callable:
        """Our statements by hand: two index-range counts and one page of rows."""
        params = [unit.pk, ms_param, *extra_params]
        counted = ""  # the counts read the unit's index (and the name index) only
        return run_sql(
            (
                f"SELECT count(*) FROM registry_entitlement e{counted}"
                " WHERE e.unit_id = %s AND e.status = 'normal'"
                f" AND e.last_certified_at IS NULL{extra}",
                [unit.pk, *extra_params],
            ),
            (
                f"SELECT count(*) FROM registry_entitlement e{counted}"
                " WHERE e.unit_id = %s AND e.status = 'normal'"
                f" AND e.last_certified_at < %s{extra}",
                params,
            ),
            (
                "SELECT e.public_id, p.name, p.ssn, p.phone, p.address,"
                f" e.last_certified_at FROM registry_entitlement e{join}"
                f" WHERE {where}{extra} ORDER BY e.last_certified_at, e.id LIMIT 10",
                params,
            ),
        )

    def tuned_ssn(ssn: str) -> Callable:
        """Our statement by hand: the person by the unique ssn index, one query."""
        return run_sql(
            (
                "SELECT e.public_id, p.name, p.ssn, p.phone, p.address,"
                f" e.last_certified_at FROM registry_entitlement e{join}"
                f" WHERE p.ssn = %s AND {where}",
                [ssn, unit.pk, ms_param],
            )
        )

    def plain_page(extra: str = "", extra_params: tuple[Any, ...] = ()) -> Callable:
        """The straightforward SQL of the issue: no certification this month is a
        NOT EXISTS over the certifications; the page in id order, each row's last
        certification looked up for the 10 rows shown."""
        pending = (
            f"FROM registry_entitlement e{join} WHERE e.unit_id = %s"
            f" AND e.status = 'normal'{extra} AND NOT EXISTS (SELECT 1"
            " FROM certification_certification c WHERE c.entitlement_id = e.id"
            " AND c.certified_at >= %s)"
        )
        params = [unit.pk, *extra_params, ms_param]
        return run_sql(
            (f"SELECT count(*) {pending}", params),
            (
                "SELECT e.public_id, p.name, p.ssn, p.phone, p.address,"
                " (SELECT max(c.certified_at) FROM certification_certification c"
                f"  WHERE c.entitlement_id = e.id) {pending} ORDER BY e.id LIMIT 10",
                params,
            ),
        )

    results: dict[str, Any] = {"database": vendor, **counts}
    floor = p95(timed(args.repeat, page({}, reverse("employer:index"))))
    results["request_floor_p95_ms"] = round(floor, 1)
    print(
        f"request floor (employer home: session, user, binding, commitment,"
        f" layout; no data): p95 {floor:.1f} ms"
    )
    name_extra = (" AND p.name LIKE %s", (PREFIX + "%",))
    # Ours: the matching persons from the name index, probed along the unit's
    # range (a range on SQLite, where LIKE cannot use the index).
    tuned_name = (
        (
            " AND e.person_id IN (SELECT id FROM registry_person"
            " WHERE name >= %s AND name < %s)",
            (PREFIX, PREFIX + "\U0010ffff"),
        )
        if vendor == "sqlite"
        else (
            " AND e.person_id IN (SELECT id FROM registry_person WHERE name LIKE %s)",
            (PREFIX + "%",),
        )
    )
    cases = [
        ("list_first", page({}), tuned_page(), plain_page()),
        (
            "list_search_ssn",
            page({"ssn": sample_ssn}),
            tuned_ssn(sample_ssn),
            plain_page(" AND p.ssn = %s", (sample_ssn,)),
        ),
        (
            "list_search_name",
            page({"name": PREFIX}),
            tuned_page(*tuned_name),
            plain_page(*name_extra),
        ),
    ]
    print(
        f"\n{'operation':<20}{'Django p95':>11}{'plain SQL':>11}{'ratio':>7}"
        f"{'tuned SQL':>11}{'ratio':>7}"
    )
    for name, django_work, tuned_work, plain_work in cases:
        ours, tuned, plain = map(
            p95, interleaved(args.repeat, django_work, tuned_work, plain_work)
        )
        results[f"{name}_p95_ms"] = round(ours, 1)
        results[f"{name}_plain_sql_p95_ms"] = round(plain, 2)
        results[f"{name}_ratio"] = round(ours / plain, 2)
        results[f"{name}_tuned_sql_p95_ms"] = round(tuned, 2)
        results[f"{name}_tuned_ratio"] = round(ours / tuned, 2)
        print(
            f"{name:<20}{ours:>9.1f}ms{plain:>9.2f}ms{ours / plain:>6.1f}x"
            f"{tuned:>9.2f}ms{ours / tuned:>6.1f}x"
        )

    # ------------------------------------------------------------ save all that match
    save_url = reverse("employer:certify-save")
    select_url = reverse("employer:certify-select")
    confirm_url = reverse("employer:certify-confirm")
    tokens: list[str] = []

    def confirm_all() -> None:
        """保存 → the confirmation page (count, first names, fingerprint): untimed."""
        from lifecert.employer.selection import sign_shown

        client.post(
            select_url,
            {
                "shown": sign_shown(binding, []),
                "scope": "all",
                "name": PREFIX,
                "action": "save",
            },
        )
        page = client.get(confirm_url).content.decode()
        tokens.append(re.search(r'name="token" value="([^"]+)"', page)[1])

    class Rollback(Exception):
        pass

    def in_rollback(
        work: Callable[[], Any], prepare: Callable[[], Any] | None = None
    ) -> float:
        if prepare is not None:
            prepare()
        started = time.perf_counter()
        try:
            with transaction.atomic():
                work()
                elapsed = time.perf_counter() - started
                raise Rollback
        except Rollback:
            pass
        return elapsed * 1000

    def django_save() -> None:
        # The check reads the unit's index (unit, certified_at): a count over all
        # 5,000,000 certifications here would double the timed work.
        since = timezone.now()
        response = client.post(save_url, {"token": tokens.pop()})
        assert response.status_code == 302
        saved = Certification.objects.filter(
            unit=unit, channel="unit", certified_at__gte=since
        ).count()
        assert saved == args.save_size, saved

    uuid_sql = public_id_sql(vendor)
    target = "e.public_id::text" if vendor == "postgresql" else "e.public_id"
    matching = (
        f"FROM registry_entitlement e JOIN registry_person p ON p.id = e.person_id"
        f" WHERE {where} AND p.name LIKE %s"
    )

    def sql_save() -> None:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        params = [unit.pk, ms_param, PREFIX + "%"]
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO certification_certification (public_id, person_id,"
                " region_id, entitlement_id, certified_at, channel, operator_id,"
                " operator_name, unit_id, evidence, receipt_code)"
                f" SELECT {uuid_sql}, e.person_id, e.region_id, e.id, %s, 'unit', %s,"
                f" %s, %s, '{{}}', NULL {matching}",
                [now, user.pk, binding.operator_name, unit.pk, *params],
            )
            assert cursor.rowcount == args.save_size, cursor.rowcount
            cursor.execute(
                "INSERT INTO core_auditevent (at, actor_id, actor_label, action,"
                " target_type, target_id, ip, before, after)"
                f" SELECT %s, %s, %s, 'certification.unit', 'Entitlement', {target},"
                f" NULL, '{{}}', '{{}}' {matching}",
                [now, user.pk, user.username, *params],
            )
            cursor.execute(
                "UPDATE registry_entitlement SET last_certified_at = %s"
                f" WHERE id IN (SELECT e.id {matching})",
                [now, *params],
            )

    ours_runs = [in_rollback(django_save, confirm_all) for _ in range(args.save_runs)]
    plain_runs = [in_rollback(sql_save) for _ in range(args.save_runs)]
    ours, plain = statistics.median(ours_runs), statistics.median(plain_runs)
    results.update(
        save_all_ms=round(ours, 1),
        save_all_sql_ms=round(plain, 1),
        save_all_ratio=round(ours / plain, 2),
    )
    print(
        f"{'save_all_' + str(args.save_size):<22}{ours:>10.1f}ms{plain:>8.1f}ms"
        f"{ours / plain:>7.1f}x   (median of {args.save_runs}, rolled back)"
    )

    # ------------------------------------------------------------ export the roster
    export_url = reverse("employer:roster-export")

    def django_export() -> int:
        response = client.get(export_url)
        assert response.status_code == 200
        size = 0
        for chunk in response.streaming_content:
            size += len(chunk)
        response.close()
        return size

    export_sql = (
        "SELECT p.name, p.ssn, p.phone, e.status, e.last_certified_at,"
        " (SELECT c.channel FROM certification_certification c"
        "  WHERE c.entitlement_id = e.id ORDER BY c.certified_at DESC LIMIT 1),"
        " e.start_date FROM registry_entitlement e"
        " JOIN registry_person p ON p.id = e.person_id"
        " WHERE e.unit_id = %s ORDER BY e.id"
    )

    def sql_export() -> int:
        with connection.cursor() as cursor:
            cursor.execute(export_sql, [unit.pk])
            rows = 0
            while batch := cursor.fetchmany(2000):
                rows += len(batch)
            return rows

    export_runs = timed(3, django_export, warmup=1)
    sql_runs = timed(3, sql_export, warmup=1)
    ours, plain = statistics.median(export_runs), statistics.median(sql_runs)
    size = django_export()
    # Peak memory: Python heap (tracemalloc), then peak RSS growth of the process.
    tracemalloc.start()
    django_export()
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_before = _rss_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to current RSS
    django_export()
    rss_growth = max(0, _rss_kb("VmHWM") - rss_before)
    results.update(
        export_rows=counts["unit_pensioners"],
        export_ms=round(ours, 1),
        export_sql_ms=round(plain, 1),
        export_ratio=round(ours / plain, 2),
        export_bytes=size,
        export_heap_peak_mb=round(heap_peak / 2**20, 1),
        export_rss_growth_mb=round(rss_growth / 1024, 1),
    )
    print(
        f"{'export_roster':<22}{ours:>10.1f}ms{plain:>8.1f}ms{ours / plain:>7.1f}x"
        f"   {counts['unit_pensioners']:,} rows, {size / 2**20:.1f} MB file,"
        f" heap peak {heap_peak / 2**20:.1f} MB, RSS growth {rss_growth / 1024:.1f} MB"
    )
    # The plain library alternative for the file itself: the same rows through
    # openpyxl's write-only mode (one run; it takes seconds).
    from openpyxl import Workbook

    def openpyxl_export() -> None:
        zone = timezone.get_current_timezone()
        book = Workbook(write_only=True)
        sheet = book.create_sheet("退休人员花名册")
        headers = (
            "姓名 证件号码 联系电话 待遇状态 上次认证时间 认证方式 下次认证截止日期"
        )
        sheet.append(headers.split())
        with connection.cursor() as cursor:
            cursor.execute(export_sql, [unit.pk])
            while batch := cursor.fetchmany(2000):
                for name, ssn, phone, status, last, channel, start in batch:
                    if isinstance(last, str):
                        last = datetime.datetime.fromisoformat(last)
                    if last is not None:
                        if last.tzinfo is None:
                            last = last.replace(tzinfo=datetime.UTC)
                        last = last.astimezone(zone).replace(tzinfo=None)
                    due = None
                    if status != "terminated":
                        due = due_date(last.date() if last else None, start)
                    sheet.append([name, ssn, phone, status, last, channel, due])
        book.save(io.BytesIO())

    library = timed(1, openpyxl_export, warmup=0)[0]
    results.update(
        export_openpyxl_ms=round(library, 1),
        export_openpyxl_ratio=round(ours / library, 3),
    )
    print(
        f"{'  same rows, openpyxl':<22}{library:>10.1f}ms"
        f"   (write-only mode: ours takes {ours / library:.2f}x its time)"
    )
    goals = {
        "list_first_p95_ms": 100,
        "list_search_ssn_p95_ms": 100,
        "list_search_name_p95_ms": 100,
        "save_all_ms": 3000,
        "export_ms": 5000,
        "export_heap_peak_mb": 200,
    }
    results["goals_met"] = all(results[key] < limit for key, limit in goals.items())
    # The ratio goal: every figure within 3x of the plain SQL.
    ratios = ("list_first", "list_search_ssn", "list_search_name", "save_all", "export")
    results["ratios_within_3x"] = all(results[f"{key}_ratio"] <= 3 for key in ratios)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
