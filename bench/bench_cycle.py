"""Benchmark: the 12-month cycle's batch work over 1,000,000 entitlements.

On a database seeded with ``seed_demo --persons 1000000`` (1,020,001
entitlements; reused between runs with ``--if-empty``), next to plain SQL doing
the same work in the same run:

- the suspension preview as the back office shows it (暂停逾期未认证 page:
  count, by region, by unit, the first page) and its export (拟暂停名单);
- the suspension run: the back office's confirmation (POST) and the
  ``run_suspensions`` command, each timed from the call to its return —
  the run's transaction and, after commit, the audit chain linking its rows —
  against the same writes in hand-written SQL (the run, its list, the status
  change, an audit row per entitlement and one for the run) with the chain
  linked by a plain cursor loop; after each run the database is put back
  (untimed) and the chain checked;
- the back-pay list (补发清单): the page (totals and first page, all and
  this month) and its export, against the same statements by hand and the
  same rows written by the same .xlsx writer.

``--ahead`` runs the preview and the run as if it were that many days later
(time-machine), so more pensions are overdue: 0 is today's demo data (about
2 % overdue), 60 about 15 %. Prints figures and, last, one JSON line.

    .venv/bin/python bench/bench_cycle.py --ahead 0,60
    .venv/bin/python bench/bench_cycle.py --ahead 0,60 \
        --database-url postgres://lifecert:lifecert@127.0.0.1:5432/lifecert_cycle
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchlib import django_env, seed

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = "sqlite:////tmp/lifecert-cyclebench-1m.sqlite3"


def interleaved(repeat: int, *works: Callable[[], Any]) -> list[float]:
    """Median ms of each work, taken in turns after one warm-up round."""
    for work in works:
        work()
    samples: list[list[float]] = [[] for _ in works]
    for round_ in range(repeat):
        for offset in range(len(works)):
            index = (round_ + offset) % len(works)
            started = time.perf_counter()
            works[index]()
            samples[index].append((time.perf_counter() - started) * 1000)
    return [statistics.median(s) for s in samples]


def _line(label: str, ours: float, plain: float, extra: str = "") -> None:
    print(
        f"{label:<18}{ours:9.1f} ms  plain SQL {plain:9.1f} ms"
        f"  {ours / plain:5.2f}x{extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument(
        "--ahead",
        default="0,60",
        help='days ahead, comma-separated ("": the 补发清单 part alone)',
    )
    parser.add_argument("--repeat", type=int, default=5, help="page requests")
    parser.add_argument("--runs", type=int, default=2, help="runs of each path")
    args = parser.parse_args()
    seed(args, quiet=False)
    os.environ.update(django_env(args.database_url))
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import django

    django.setup()
    import time_machine
    from cycle_sql import CycleSQL
    from django.conf import settings
    from django.db import connection

    from lifecert.registry.models import Entitlement

    settings.DEBUG = False  # no query log in memory while measuring
    sql = CycleSQL(connection)
    results: dict[str, Any] = {
        "database": connection.vendor,
        "entitlements": Entitlement.objects.count(),
    }
    print(f"database: {connection.vendor}, {results['entitlements']:,} entitlements")
    for ahead in [int(a) for a in args.ahead.split(",") if a]:
        moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=ahead)
        with time_machine.travel(moment, tick=True):
            # Logged in on that day: the session would have expired meanwhile.
            results[f"ahead_{ahead}"] = _scenario(sql, sql.client("province"), args)
    results["back_pay"] = _back_pay(sql, sql.client("province"), args)
    ratios = [
        value
        for part in results.values()
        if isinstance(part, dict)
        for key, value in part.items()
        if key.endswith("ratio")
    ]
    results["max_ratio"] = max(ratios)
    results["ratios_within_3x"] = max(ratios) <= 3
    results["runs_under_60s"] = all(
        part[key] < 60_000
        for part in results.values()
        if isinstance(part, dict)
        for key in part
        if key.startswith("run_") and key.endswith("_ms")
    )
    print(json.dumps(results, ensure_ascii=False))


def _scenario(sql: Any, client: Any, args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command
    from django.urls import reverse
    from django.utils import timezone

    from lifecert.certification.services import suspension_preview

    today = timezone.localdate()
    overdue = suspension_preview(None).count()
    out: dict[str, Any] = {"today": today.isoformat(), "overdue": overdue}
    print(f"\n== as of {today}: {overdue:,} overdue of the normal pensions")
    url = reverse("backoffice:run-suspensions")

    def page() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    ours, plain = interleaved(args.repeat, page, lambda: sql.preview_page(today))
    out.update(preview_page_ms=round(ours, 1), preview_page_sql_ms=round(plain, 1))
    out["preview_page_ratio"] = round(ours / plain, 2)
    _line("preview page", ours, plain)

    export_url = reverse("backoffice:suspension-preview-export")

    def export() -> None:
        response = client.get(export_url)
        assert response.status_code == 200
        for _ in response.streaming_content:
            pass
        response.close()

    ours, plain = interleaved(1, export, lambda: sql.preview_export(today))
    out.update(preview_export_ms=round(ours, 1), preview_export_sql_ms=round(plain, 1))
    out["preview_export_ratio"] = round(ours / plain, 2)
    _line("preview export", ours, plain)

    def web() -> int:
        response = client.post(url, {"expected": overdue})
        assert response.status_code == 302, response.status_code
        return overdue

    def command() -> int:
        call_command("run_suspensions", stdout=open(os.devnull, "w"))  # noqa: SIM115
        return overdue

    timings: dict[str, list[float]] = {"web": [], "command": [], "sql": []}
    for _ in range(args.runs):
        for name, work in (("web", web), ("command", command), ("sql", sql.run)):
            snapshot = sql.snapshot(today)
            started = time.perf_counter()
            work()
            timings[name].append((time.perf_counter() - started) * 1000)
            sql.check_and_restore(snapshot, overdue)
    for name in ("web", "command"):
        ours, plain = (
            statistics.median(timings[name]),
            statistics.median(timings["sql"]),
        )
        out[f"run_{name}_ms"] = round(ours, 1)
        out[f"run_{name}_ratio"] = round(ours / plain, 2)
        each = ", ".join(f"{t:.0f}" for t in timings[name])
        _line(f"run ({name})", ours, plain, f"  runs: {each} ms")
    out["run_sql_ms"] = round(statistics.median(timings["sql"]), 1)
    out["run_sql_each"] = [round(t) for t in timings["sql"]]
    print(f"  plain SQL runs: {', '.join(f'{t:.0f}' for t in timings['sql'])} ms")
    return out


def _back_pay(sql: Any, client: Any, args: argparse.Namespace) -> dict[str, Any]:
    from django.urls import reverse
    from django.utils import timezone

    from lifecert.certification.models import BackPay

    month = timezone.localdate().replace(day=1)
    out: dict[str, Any] = {
        "rows": BackPay.objects.count(),
        "rows_this_month": BackPay.objects.filter(
            created_at__gte=sql.midnight(month)
        ).count(),
    }
    rows, month_rows = out["rows"], out["rows_this_month"]
    print(f"\n== 补发清单: {rows:,} back pays, {month_rows:,} this month")
    floor_url = reverse("backoffice:suspension-runs")

    def floor() -> None:
        response = client.get(floor_url)
        assert response.status_code == 200, response.status_code

    (ours,) = interleaved(args.repeat, floor)
    out["request_floor_ms"] = round(ours, 1)
    print(
        f"request floor     {ours:9.1f} ms  (暂停批次 page: session, user, layout,"
        " a dozen rows)"
    )
    url = reverse("backoffice:back-pay-list")
    for name, params, first in (
        ("all", {}, None),
        ("month", {"month": month.strftime("%Y-%m")}, month),
    ):

        def page(params: dict[str, str] = params) -> None:
            response = client.get(url, params)
            assert response.status_code == 200, response.status_code

        ours, plain = interleaved(
            args.repeat, page, lambda first=first: sql.back_pay_page(first)
        )
        out[f"page_{name}_ms"] = round(ours, 1)
        out[f"page_{name}_sql_ms"] = round(plain, 1)
        out[f"page_{name}_ratio"] = round(ours / plain, 2)
        _line(f"page ({name})", ours, plain)
    export_url = reverse("backoffice:back-pay-export")

    def export() -> None:
        response = client.get(export_url)
        assert response.status_code == 200
        for _ in response.streaming_content:
            pass
        response.close()

    ours, plain = interleaved(2, export, sql.back_pay_export)
    out.update(export_ms=round(ours, 1), export_sql_ms=round(plain, 1))
    out["export_ratio"] = round(ours / plain, 2)
    _line("export (all)", ours, plain)
    return out


if __name__ == "__main__":
    main()
