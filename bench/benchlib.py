# ruff: noqa: S608  (the SQL is built from this file's constants and model tables only)
"""What the benchmark scripts share (a sibling module: each script runs with
``bench/`` first on ``sys.path``)."""

import argparse
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def django_env(database_url: str) -> dict[str, str]:
    """The environment for a ``manage.py`` or server subprocess on ``database_url``."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="lifecert.settings", DEBUG="1"
    )
    return env


def without_query_log() -> None:
    """Stop Django's DEBUG query log in this (already set-up) process.

    The benches must run with DEBUG on (it alone allows SQLite), and with it
    every statement is logged with its parameters quoted, which on SQLite costs
    one extra ``SELECT QUOTE(?), …`` per statement. Production runs without
    the log; every timed path of a bench runs without it alike.
    """
    from django.conf import settings

    settings.DEBUG = False


def seed(args: argparse.Namespace, *extra: str, quiet: bool = True) -> None:
    """A migrated database with ``seed_demo --persons`` and ``extra`` arguments
    (kept with ``--reuse``; a bench without that flag always keeps it)."""
    env = django_env(args.database_url)
    if args.database_url.startswith("sqlite:///") and not getattr(args, "reuse", True):
        path = Path(args.database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], check=True, env=env, cwd=ROOT)
    started = time.perf_counter()
    subprocess.run(
        [*manage, "seed_demo", "--persons", str(args.persons), *extra, "--if-empty"],
        check=True,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL if quiet else None,
    )
    print(f"seed (skipped when already seeded): {time.perf_counter() - started:.1f} s")


def prepare(args: argparse.Namespace) -> None:
    """Seed (``seed``), set Django up on that database without the query log,
    refresh PostgreSQL's planner statistics, chain the seed's audit rows and
    freeze the loaded app as a server's worker does, all before any clock."""
    seed(args)
    os.environ.update(django_env(args.database_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    without_query_log()
    from django.db import connection

    from lifecert.core import audit

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics after the bulk load
    started = time.perf_counter()
    linked = audit.chain_pending()
    seconds = time.perf_counter() - started
    print(f"audit rows of the seed chained: {linked:,} in {seconds:.1f} s")
    from lifecert.core.collector import freeze_loaded_app

    # What lifecert/wsgi.py does in a server once the app is loaded.
    print(f"objects frozen out of garbage collection: {freeze_loaded_app():,}")


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values`` by nearest rank; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds so far of (this process, the database's side of its
    connection): on PostgreSQL the backend process serving the default
    connection, read from ``/proc`` (the server runs on this machine); SQLite
    works inside this process, so 0. Wall time on the shared cores swings
    with the other engineers' runs; CPU time much less."""
    from django.db import connection

    server = 0.0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return time.process_time(), server


def pick_pensioners(rows: int, since: datetime.date) -> list[tuple[str, str]]:
    """(number, name) of ``rows`` pensioners with one normal entitlement each,
    alive, not certified since noon of ``since``: each run of a bench then
    certifies all of them once, on a later day than the run before."""
    from django.db.models import Exists, OuterRef

    from lifecert.certification.evidence import _noon
    from lifecert.registry.models import Entitlement

    other = Entitlement.objects.filter(person_id=OuterRef("person_id")).exclude(
        pk=OuterRef("pk")
    )
    found = list(
        Entitlement.objects.filter(
            ~Exists(other),
            person__death_date=None,
            status=Entitlement.Status.NORMAL,
            last_certified_at__lt=_noon(since),
        )
        .order_by("pk")
        .values_list("person__ssn", "person__name")[:rows]
    )
    if len(found) < rows:
        raise SystemExit(f"only {len(found)} suitable pensioners: seed more persons")
    return found


def write_back_log(*, empty: bool = False) -> None:
    """SQLite: copy the write-ahead log into the database file now (a
    checkpoint; with ``empty``, the log also cut to nothing); other databases:
    nothing. Each contender of a bench starts with ``empty`` before its clock
    and calls it again inside: the part of the log its commits left unchecked
    (SQLite checkpoints once the log passes ``wal_autocheckpoint`` pages) is
    its own cost, not the next contender's."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    mode = "TRUNCATE" if empty else "PASSIVE"
    with connection.cursor() as cursor:
        busy, pages, copied = cursor.execute(
            f"PRAGMA wal_checkpoint({mode})"
        ).fetchone()
    assert not busy, (busy, pages, copied)
    assert pages == copied, (busy, pages, copied)


def public_id_sql(vendor: str) -> str:
    """SQL for a certification's public id as the model draws it (version 7: a
    millisecond time, then random bits), for the benches' plain SQL."""
    if vendor == "postgresql":
        return (
            "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing"
            " substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)"
            "::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid"
        )
    # SQLite stores the 32 hex digits; julianday('now') is one time a statement.
    return (
        "printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))"
        " || '7' || lower(substr(hex(randomblob(2)), 1, 3)"
        " || substr('89ab', 1 + (random() & 3), 1)"
        " || substr(hex(randomblob(8)), 1, 15))"
    )


def plain_sql_certify(
    people: list[tuple[str, str]], at: datetime.datetime, *, write_back: bool = False
) -> dict[str, Any]:
    """What the evidence service does for ``people``, in plain SQL: the rows
    into a temporary table, one INSERT … SELECT of certifications matched by
    number and name, one UPDATE of ``last_certified_at``, one INSERT … SELECT
    of audit rows, one transaction; then the audit chain, timed on its own.
    With ``write_back``, each clock ends with ``write_back_log``."""
    from django.db import connection, transaction

    from lifecert.certification.models import Certification
    from lifecert.core import audit
    from lifecert.core.models import AuditEvent
    from lifecert.registry.models import Entitlement, Person

    cert, ent, person = (
        Certification._meta.db_table,
        Entitlement._meta.db_table,
        Person._meta.db_table,
    )
    log = AuditEvent._meta.db_table
    postgres = connection.vendor == "postgresql"
    at_param = connection.ops.adapt_datetimefield_value(at)
    uuid_sql = public_id_sql(connection.vendor)
    code_sql = (
        "upper(substr(md5(random()::text), 1, 16))"
        if postgres
        else "upper(hex(randomblob(8)))"
    )
    json_cast = "::jsonb" if postgres else ""
    if write_back:
        write_back_log(empty=True)
    cpu = cpu_seconds()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_rows (ssn varchar(18), name varchar(60),"
            " source varchar(100))"
        )
        cursor.executemany(
            "INSERT INTO bench_rows VALUES (%s, %s, %s)",
            [(s, n, "医保就医") for s, n in people],
        )
        cursor.execute("SELECT max(id) FROM " + cert)
        before = cursor.fetchone()[0] or 0
        cursor.execute(
            f"INSERT INTO {cert} (public_id, person_id, region_id, entitlement_id,"
            " certified_at, channel, operator_name, evidence, receipt_code)"
            f" SELECT {uuid_sql}, e.person_id, e.region_id, e.id, %s, 'data',"
            f" '数据比对', ('{{\"source\": \"' || r.source || '\"}}'){json_cast},"
            f" {code_sql}"
            f" FROM bench_rows r JOIN {person} p ON p.ssn = r.ssn AND p.name = r.name"
            f" JOIN {ent} e ON e.person_id = p.id"
            " WHERE e.status = 'normal' AND (e.last_certified_at IS NULL"
            " OR e.last_certified_at < %s)",
            [at_param, at_param],
        )
        changed = cursor.rowcount
        cursor.execute(
            f"UPDATE {ent} SET last_certified_at = %s WHERE id IN"
            f" (SELECT entitlement_id FROM {cert} WHERE id > %s)",
            [at_param, before],
        )
        public_id = (
            "t.public_id::text"
            if postgres
            else "substr(t.public_id,1,8)||'-'||substr(t.public_id,9,4)||'-'||"
            "substr(t.public_id,13,4)||'-'||substr(t.public_id,17,4)||'-'||"
            "substr(t.public_id,21,12)"
        )
        cursor.execute(
            f"INSERT INTO {log} (at, actor_id, actor_label, action, target_type,"
            " target_id, region_id, ip, before, after)"
            f" SELECT %s, NULL, 'bench', 'certification.create', 'Certification',"
            f" {public_id}, t.region_id, NULL, '{{}}'{json_cast},"
            f' \'{{"channel": "data"}}\'{json_cast} FROM {cert} t WHERE t.id > %s',
            [at_param, before],
        )
        cursor.execute("DROP TABLE bench_rows")
    if write_back:
        write_back_log()
    seconds = time.perf_counter() - started
    client, server = (b - a for a, b in zip(cpu, cpu_seconds(), strict=True))
    started = time.perf_counter()
    audit.chain_pending()
    if write_back:
        write_back_log()
    chain = time.perf_counter() - started
    return {
        "s": seconds,
        "changed": changed,
        "chain_s": chain,
        "cpu_s": round(client, 2),
        "db_cpu_s": round(server, 2),
    }
