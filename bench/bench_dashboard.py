# ruff: noqa: S608  (the SQL is built from this file's constants and local dates)
"""Benchmark: the back office's dashboard at 1,000,000 persons.

The dashboard (``backoffice:index``: status figures, due within 30 days,
overdue, this month's certifications, reviews, back pay, overpayments, death
cases, and the four charts) through the Django test client, as province staff
(every region) and as regional staff, p50/p95 over ``--repeat`` requests, next
to the same figures computed by plain SQL written by hand (one GROUP BY per
table, conditional sums for the cycle and the months) through the same
connection, the works taken in turns. The plain SQL's figures are checked
against the page's before timing.

The page as staff get it reads each large region's cycle figures from its
snapshot (``backoffice.dashboard_figures``); the bench times it so, and also
counted live (the snapshot turned off), and times ``refresh_dashboard``'s count
of every region.

    .venv/bin/python bench/bench_dashboard.py --database-url sqlite:///var/bench_dashboard.sqlite3
    .venv/bin/python bench/bench_dashboard.py \\
        --database-url postgres://lifecert:lifecert@127.0.0.1:5432/lifecert_dashboard

Seeds with ``seed_demo --persons N --big-unit-size 50000 --if-empty`` first
(``--reuse`` keeps an already seeded SQLite file; ``migrate`` runs either way,
for new indexes).
Prints the figures and, last, one JSON line.
"""

import argparse
import datetime
import itertools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchlib import django_env, percentile, seed

ROOT = Path(__file__).resolve().parents[1]
BUDGET_P95_MS = 200


def interleaved(repeat: int, *works: Callable[[], Any]) -> list[list[float]]:
    """Samples of each work in ms, taken in turns so a noisy moment of the
    shared machine falls on all of them alike."""
    for work in works:  # warm-up
        work()
    samples: list[list[float]] = [[] for _ in works]
    for round_ in range(repeat):
        for offset in range(len(works)):
            index = (round_ + offset) % len(works)
            started = time.perf_counter()
            works[index]()
            samples[index].append((time.perf_counter() - started) * 1000)
    return samples


def plain_figures(cursor: Any, region_ids: list[int], today: datetime.date) -> dict:
    """The dashboard's figures by hand-written SQL, over ``region_ids``."""
    from lifecert.certification import cycle

    def at(day: datetime.date) -> str:
        utc = cycle.local_midnight(day).astimezone(datetime.UTC)
        return utc.strftime("%Y-%m-%d %H:%M:%S")  # as both databases compare it

    regions = ",".join(str(pk) for pk in region_ids)
    # The cycle written out: due = base + 12 months, base = last certification
    # (local day) or the start date; overdue when due < today.
    overdue_cut = cycle.base_cutoff(today)
    due_last = cycle.base_cutoff(today + datetime.timedelta(days=31))
    firsts = [cycle.add_months(today.replace(day=1), k) for k in range(-11, 2)]
    months = ", ".join(
        f"SUM(CASE WHEN last_certified_at >= '{at(a)}'"
        f" AND last_certified_at < '{at(b)}' THEN 1 ELSE 0 END)"
        for a, b in itertools.pairwise(firsts)
    )
    figures: dict[str, Any] = {}
    cursor.execute(
        f"SELECT status, COUNT(*) FROM registry_entitlement"
        f" WHERE region_id IN ({regions}) GROUP BY status"
    )
    figures["by_status"] = dict(cursor.fetchall())
    cursor.execute(
        "SELECT"
        f" SUM(CASE WHEN last_certified_at < '{at(overdue_cut)}' OR"
        f" (last_certified_at IS NULL AND start_date < '{overdue_cut}')"
        " THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN (last_certified_at >= '{at(overdue_cut)}'"
        f" AND last_certified_at < '{at(due_last)}') OR (last_certified_at IS NULL"
        f" AND start_date >= '{overdue_cut}' AND start_date < '{due_last}')"
        f" THEN 1 ELSE 0 END), {months}"
        " FROM registry_entitlement"
        f" WHERE status = 'normal' AND region_id IN ({regions})"
    )
    overdue, due, *by_month = cursor.fetchone()
    figures.update(overdue=overdue or 0, due_soon=due or 0)
    figures["by_month"] = [n or 0 for n in by_month]
    cursor.execute(
        "SELECT channel, COUNT(*) FROM certification_certification"
        f" WHERE certified_at >= '{at(today.replace(day=1))}'"
        f" AND region_id IN ({regions}) GROUP BY channel"
    )
    figures["channels"] = dict(cursor.fetchall())
    cursor.execute(
        "SELECT COUNT(*) FROM certification_reviewrequest"
        f" WHERE status = 'open' AND region_id IN ({regions})"
    )
    figures["open_reviews"] = cursor.fetchone()[0]
    cursor.execute(
        "SELECT COUNT(*), SUM(o.amount) FROM certification_overpayment o"
        " JOIN registry_entitlement e ON e.id = o.entitlement_id"
        f" WHERE o.status = 'pending' AND e.region_id IN ({regions})"
    )
    figures["pending_overpayments"] = cursor.fetchone()[0]
    cursor.execute(
        "SELECT COUNT(*), SUM(b.amount) FROM certification_backpay b"
        " JOIN registry_entitlement e ON e.id = b.entitlement_id"
        f" WHERE b.created_at >= '{at(today.replace(day=1))}'"
        f" AND e.region_id IN ({regions})"
    )
    figures["back_pay_month"] = cursor.fetchone()[0]
    cursor.execute(
        "SELECT COUNT(*) FROM certification_deathaftercertificationcase c"
        " JOIN registry_entitlement e ON e.id = c.entitlement_id"
        f" WHERE c.status = 'open' AND e.region_id IN ({regions})"
    )
    figures["open_cases"] = cursor.fetchone()[0]
    return figures


def page_figures(context: dict[str, Any]) -> dict[str, Any]:
    """The same figures as the page shows them."""
    charts = {chart.key: chart for chart in context["charts"]}
    return {
        "by_status": [n for _, n, _ in context["by_status"]],
        "overdue": context["overdue"],
        "due_soon": context["due_soon"],
        "by_month": [int(bar.cells[1].text) for bar in charts["month"].bars],
        "this_month": context["this_month"],
        "open_reviews": context["open_reviews"],
        "pending_overpayments": context["pending_overpayments"]["n"],
        "back_pay_month": context["back_pay_month"]["n"],
        "open_cases": context["open_cases"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{ROOT / 'var' / 'bench_dashboard.sqlite3'}",
    )
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="keep a seeded database")
    args = parser.parse_args()
    # The big unit's 50,000-row roster is bench_xlsx_writer's sheet.
    seed(args, "--big-unit-size", "50000", quiet=False)
    os.environ.update(django_env(args.database_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.utils import timezone

    from lifecert.accounts.models import User
    from lifecert.backoffice import dashboard_figures
    from lifecert.backoffice.dashboard import dashboard
    from lifecert.registry.access import staff_regions
    from lifecert.registry.models import Entitlement

    setup_test_environment()  # the test client's response.context
    settings.DEBUG = False  # no query log in memory while measuring
    settings.ALLOWED_HOSTS = ["testserver"]
    today = timezone.localdate()
    results: dict[str, Any] = {
        "vendor": connection.vendor,
        "entitlements": Entitlement.objects.count(),
        "repeat": args.repeat,
    }
    print(f"{connection.vendor}: {results['entitlements']:,} entitlements, {today}")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW jit")
            results["jit"] = cursor.fetchone()[0]
    refresh_ms = interleaved(3, dashboard_figures.refresh)[0]
    results["refresh_p50_ms"] = round(statistics.median(refresh_ms), 1)
    print(f"refresh_dashboard's count of every region: {refresh_ms} ms")
    live = override_settings(DASHBOARD_SNAPSHOT_MIN_PENSIONS=10**12)
    for who in ("province", "staff"):
        user = User.objects.get(username=who)
        client = Client()
        client.force_login(user)
        region_ids = list(staff_regions(user).values_list("pk", flat=True))

        def page(client: Client = client) -> None:
            response = client.get("/backoffice/")
            assert response.status_code == 200

        def page_live(client: Client = client) -> None:
            with live:
                response = client.get("/backoffice/")
            assert response.status_code == 200

        def plain(region_ids: list[int] = region_ids) -> dict[str, Any]:
            with connection.cursor() as cursor:
                return plain_figures(cursor, region_ids, today)

        def figures(user: Any = user) -> dict[str, Any]:
            with live:
                return dashboard(user)

        # Our own statements, as the page sends them when it counts live,
        # replayed on a raw cursor: what the database alone takes for our plan.
        with CaptureQueriesContext(connection) as captured, live:
            dashboard(user)
        statements = [query["sql"] for query in captured.captured_queries]

        def replay(statements: list[str] = statements) -> None:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
                    cursor.fetchall()

        # The plain SQL counts what the page shows, live and from the snapshot.
        with live:
            ours = page_figures(client.get("/backoffice/").context)
        assert ours == page_figures(client.get("/backoffice/").context)
        theirs = plain()
        statuses = [theirs["by_status"].get(s, 0) for s in Entitlement.Status.values]
        assert ours["by_status"] == statuses, (ours, theirs)
        assert ours["by_month"] == theirs["by_month"][:12], (ours, theirs)
        assert ours["this_month"] == sum(theirs["channels"].values())
        for key in ("overdue", "due_soon", "open_reviews", "open_cases"):
            assert ours[key] == theirs[key], (key, ours, theirs)
        page_ms, live_ms, plain_ms, figures_ms, replay_ms = interleaved(
            args.repeat, page, page_live, plain, figures, replay
        )
        row = {
            "page_p50_ms": round(statistics.median(page_ms), 1),
            "page_p95_ms": round(percentile(page_ms, 95), 1),
            "live_page_p50_ms": round(statistics.median(live_ms), 1),
            "live_page_p95_ms": round(percentile(live_ms, 95), 1),
            "figures_p95_ms": round(percentile(figures_ms, 95), 1),
            "own_sql_p50_ms": round(statistics.median(replay_ms), 1),
            "own_sql_p95_ms": round(percentile(replay_ms, 95), 1),
            "statements": len(statements),
            "plain_sql_p50_ms": round(statistics.median(plain_ms), 1),
            "plain_sql_p95_ms": round(percentile(plain_ms, 95), 1),
        }
        row["ratio_p95"] = round(row["page_p95_ms"] / row["plain_sql_p95_ms"], 2)
        row["within_budget"] = row["page_p95_ms"] < BUDGET_P95_MS
        row["live_within_budget"] = row["live_page_p95_ms"] < BUDGET_P95_MS
        results[who] = row
        print(
            f"{who:<9} page p50 {row['page_p50_ms']:>7.1f} ms  p95"
            f" {row['page_p95_ms']:>7.1f} ms (counted live: p50"
            f" {row['live_page_p50_ms']:.1f}, p95 {row['live_page_p95_ms']:.1f};"
            " figures alone p95"
            f" {row['figures_p95_ms']:.1f}; its {len(statements)} statements alone"
            f" p50 {row['own_sql_p50_ms']:.1f}, p95 {row['own_sql_p95_ms']:.1f})"
            f"   plain SQL p50"
            f" {row['plain_sql_p50_ms']:>7.1f}  p95 {row['plain_sql_p95_ms']:>7.1f} ms"
            f"   ratio {row['ratio_p95']:.2f}x   figures agree"
        )
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
