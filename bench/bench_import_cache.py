"""Benchmark: a large 数据比对 import's transaction on SQLite with the page cache
and the insert order it runs with, against the connection's own cache and the
file's order, in turns in one process (A/B, as ``bench_face_ab.py``).

``--rows`` pensioners of a seeded database (``--persons``, as
``bench_api_push.py``), shuffled as a real file would be, certified by
``evidence.apply_rows`` as one dry run (the whole work, rolled back, so every
turn does the same work on the same database): four modes — page cache of the
connection (64 MiB) or ``--cache-mib`` (default: the setting
``IMPORT_SQLITE_CACHE_MIB``), certifications
inserted in the file's order or in entitlement order (the committed code) —
in turns, the order reversed every other turn. Wall and CPU seconds of each
run; prints them and, last, one JSON line.

    cp var/bench_api.sqlite3 var/bench_cache.sqlite3   # a seeded copy
    .venv/bin/python bench/bench_import_cache.py --rows 60000 \
        --database-url sqlite:///$PWD/var/bench_cache.sqlite3
"""

import argparse
import datetime
import inspect
import json
import random
import textwrap
import time
from collections.abc import Callable
from typing import Any

from benchlib import ROOT, pick_pensioners, prepare

FILE_ORDER = 'ORDER BY t.n"'
ENTITLEMENT_ORDER = 'ORDER BY t.entitlement_id, t.n"'


def _certify_in_file_order() -> Callable[..., list[int]]:
    """``Staged.certify`` as committed but for its ORDER BY: the file's order."""
    from lifecert.certification import bulk

    source = textwrap.dedent(inspect.getsource(bulk.Staged.certify))
    assert ENTITLEMENT_ORDER in source, "the committed statement changed"
    found: dict[str, Any] = {}
    code = compile(source.replace(ENTITLEMENT_ORDER, FILE_ORDER), "file_order", "exec")
    exec(code, vars(bulk), found)  # noqa: S102 this repository's own source
    return found["certify"]  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench_cache.sqlite3'}"
    )
    parser.add_argument("--persons", type=int, default=220_000)
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument(
        "--cache-mib", type=int, default=0, help="the large cache (0: the setting)"
    )
    parser.add_argument("--reuse", action="store_true", default=True)
    args = parser.parse_args()
    prepare(args)
    from django.db import connection
    from django.utils import timezone

    from lifecert.certification import bulk, evidence
    from lifecert.registry.models import Region

    assert connection.vendor == "sqlite", "a PRAGMA of SQLite"
    if args.rows <= evidence.LINK_IN_BATCH_ROWS[-1]:
        print("a batch this small keeps the connection's cache: every mode alike")
    day = timezone.localdate() - datetime.timedelta(days=2)
    people = pick_pensioners(args.rows, day)
    random.Random(1).shuffle(people)
    rows = [
        evidence.EvidenceRow(n, ssn, name, day, day.isoformat(), "医保就医")
        for n, (ssn, name) in enumerate(people, start=1)
    ]
    regions = list(Region.objects.all())
    by_entitlement = bulk.Staged.certify
    in_file_order = _certify_in_file_order()
    from django.conf import settings

    committed = settings.IMPORT_SQLITE_CACHE_MIB
    large = (args.cache_mib or committed) * 1024
    with connection.cursor() as cursor:
        own = -cursor.execute("PRAGMA cache_size").fetchone()[0]
    modes = [
        (f"{own // 1024} MiB, file order", own, in_file_order),
        (f"{large // 1024} MiB, file order", large, in_file_order),
        (f"{own // 1024} MiB, entitlement order", own, by_entitlement),
        (f"{large // 1024} MiB, entitlement order", large, by_entitlement),
    ]
    evidence.apply_rows(  # warm-up, before any clock
        evidence.Kind.COMPARISON,
        rows[:1],
        acting_user=None,
        regions=regions,
        dry_run=True,
    )
    runs = []
    for turn in range(args.turns):
        for name, kib, certify in modes if turn % 2 == 0 else modes[::-1]:
            settings.IMPORT_SQLITE_CACHE_MIB = kib // 1024
            bulk.Staged.certify = certify  # type: ignore[method-assign]
            cpu, started = time.process_time(), time.perf_counter()
            result = evidence.apply_rows(
                evidence.Kind.COMPARISON,
                rows,
                acting_user=None,
                regions=regions,
                dry_run=True,
            )
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            assert result.changed == args.rows, result
            runs.append(
                {
                    "mode": name,
                    "turn": turn,
                    "s": round(wall, 2),
                    "cpu_s": round(cpu, 2),
                }
            )
            print(f"turn {turn} {name:40s} wall {wall:6.1f} s  CPU {cpu:5.1f} s")
    settings.IMPORT_SQLITE_CACHE_MIB = committed
    bulk.Staged.certify = by_entitlement  # type: ignore[method-assign]
    for name, *_ in modes:
        cpus = [run["cpu_s"] for run in runs if run["mode"] == name]
        print(f"{name:40s} CPU mean {sum(cpus) / len(cpus):5.2f} s  {cpus}")
    print(json.dumps({"rows": args.rows, "database": "sqlite", "runs": runs}))


if __name__ == "__main__":
    main()
