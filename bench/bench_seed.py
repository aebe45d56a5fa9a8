"""Benchmark: the demo-data command against a plain bulk load of the same rows.

For each database: a fresh schema, then ``manage.py seed_demo --persons N`` timed
as a whole (generation, inserts, accounts); then a fresh schema again and only the
inserts of the same rows, pre-generated, with the database's plain bulk path
(executemany on SQLite, COPY on PostgreSQL). Prints figures and a final JSON line.

    .venv/bin/python bench/bench_seed.py --persons 1000000 \
        --pg-url postgres://lifecert:lifecert@127.0.0.1:5432/lifecert_bench
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchlib import django_env

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def _fresh(database_url: str) -> None:
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        import psycopg

        name = database_url.rsplit("/", 1)[1]
        admin = database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=django_env(database_url),
        check=True,
    )


def _seed(database_url: str, persons: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, "manage.py", "seed_demo", "--persons", str(persons)],
        cwd=ROOT,
        env=django_env(database_url),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def _plain(database_url: str, persons: int) -> dict[str, float]:
    out = subprocess.run(
        [PYTHON, __file__, "--plain-worker", "--persons", str(persons)],
        cwd=ROOT,
        env=django_env(database_url),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def plain_worker(persons: int) -> None:
    """Inside a fresh database: generate the rows (untimed), then time the loads."""
    sys.path.insert(0, str(ROOT))
    import random

    import django

    django.setup()
    from django.db import transaction

    from lifecert.demo import loader as demo

    rng = random.Random(2026)
    insert_seconds = generate_seconds = 0.0
    rows = 0
    with transaction.atomic():
        regions = demo.ensure_regions()
        units = demo.make_units(rng, regions, max(6, persons // 400))
        writer = demo._Writer()
        chunks = demo.generate(demo.DemoPlan(persons=persons), units, regions)
        while True:
            started = time.perf_counter()
            chunk = next(chunks, None)
            generate_seconds += time.perf_counter() - started
            if chunk is None:
                break
            rows += sum(len(part) for part in chunk)
            started = time.perf_counter()
            demo.write_chunk(writer, chunk)
            insert_seconds += time.perf_counter() - started
        started = time.perf_counter()
    commit_seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "insert_s": insert_seconds + commit_seconds,
                "generate_s": generate_seconds,
                "rows": rows,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--sqlite-path", default="/tmp/lifecert-bench.sqlite3")  # noqa: S108
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", ""))
    parser.add_argument("--plain-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_worker:
        plain_worker(args.persons)
        return
    targets = [("sqlite", f"sqlite:///{args.sqlite_path}")]
    if args.pg_url:
        targets.append(("postgresql", args.pg_url))
    results: dict[str, object] = {
        "persons": args.persons,
        "certifications_per_entitlement": 5,
    }
    for name, url in targets:
        _fresh(url)
        seed_s = _seed(url, args.persons)
        _fresh(url)
        plain = _plain(url, args.persons)
        ratio = seed_s / plain["insert_s"]
        print(
            f"{name:10s} seed_demo {seed_s:7.1f} s | plain bulk load of the same "
            f"{plain['rows']:,} rows {plain['insert_s']:7.1f} s "
            f"(generating them {plain['generate_s']:.1f} s) | ratio {ratio:.2f}x"
        )
        results[name] = {
            "seed_demo_s": round(seed_s, 2),
            "plain_load_s": round(plain["insert_s"], 2),
            "generate_s": round(plain["generate_s"], 2),
            "rows": plain["rows"],
            "ratio": round(ratio, 2),
        }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
