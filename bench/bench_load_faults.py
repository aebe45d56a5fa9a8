"""Mixed load on gunicorn + PostgreSQL with production settings, and two faults.

The bench owns a PostgreSQL 15 cluster of its own (default ``15/lifecert_load``
on port 5439, created as ``.ci/run`` creates CI's, role ``lifecert``): it
restarts that cluster during the run, so it never touches a cluster other work
uses. It creates the database ``lifecert_load`` afresh, migrates it, seeds it
with ``manage.py seed_demo`` (a few thousand persons), enrols a few pensioners
from a frame of the webcam man, and serves it with gunicorn on loopback with
production settings: ``DEBUG`` off, a generated ``SECRET_KEY`` and data key,
``ALLOWED_HOSTS``, ``DATABASE_URL``, and the clients behind a pretend
TLS-terminating proxy (``SECURE_PROXY_SSL=1``, ``TRUSTED_PROXY_COUNT=1``: each
sends ``X-Forwarded-Proto: https`` and its own ``X-Forwarded-For``).

Clients, each a thread with its own cookies (``bench_pensioner_load.Browser``):

- unit operators: log in, open the unit list (本地养老本地领取) on a random
  page, tick two people, 保存 → confirmation → 确认认证, read the message
  ("认证成功，共 N 人"), log out; two of them share a unit, so their ticks
  overlap at times;
- certification logins (name + social security number of a seeded pensioner),
  the 用户中心 page, 退出;
- face sessions with real frames (``bench_pensioner_load.live_session``: a
  genuine responder made of the real clips in ``../shared/media``).

Faults during the load: the PostgreSQL cluster restarted (``pg_ctlcluster
... restart``, fast mode: the server ends every connection), then one gunicorn
worker killed with SIGKILL while it is on the CPU and a client request is in
flight. For each: the errors clients saw (HTTP status and page, or the broken
connection), the longest request, and when requests succeeded again.
Afterwards the rows are reconciled against what the clients saw:
certifications and audit rows created versus successful 确认认证 and face
verdicts, nothing lost or duplicated; then ``manage.py verify_audit_chain``.

    .venv/bin/python bench/bench_load_faults.py --seconds 70

Prints per kind of request: count, p50/p95/max, errors; the faults; the
reconciliation; then one JSON line.
"""

import argparse
import contextlib
import json
import os
import random
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_pensioner_load as pensioner_load  # noqa: E402
from benchlib import percentile  # noqa: E402

from faceverify import actors  # noqa: E402

DATABASE = "lifecert_load"
UNIT_PASSWORD = secrets.token_urlsafe(18)
SAVED = re.compile(r"认证成功，共 (\d+) 人")
NOTHING_SAVED = ("没有需要认证的人员", "本次提交没有认证任何人员", "未保存任何记录")
ERROR_PAGE = "系统繁忙，请稍后再试"  # templates/500.html
# A person who got an error page reads it before trying again (client pacing).
PAUSE_AFTER_ERROR = 1.0
# A face session's end the client did not learn from the server (live_session).
UNANSWERED = ("frame_", "start_", "finish_", "error")


# ---------------------------------------------------------------- PostgreSQL


def psql(port: int, sql: str) -> str:
    return subprocess.run(
        ["su", "postgres", "-c", f"psql -p {port} -qAtc {shlex.quote(sql)}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def wait_ready(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready = subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)])
        if ready.returncode == 0:
            return
        time.sleep(0.1)
    raise SystemExit(f"PostgreSQL on port {port} is not accepting connections")


def prepare_cluster(version: str, name: str, port: int) -> str:
    """Create (once) and start the bench's own cluster; a fresh database."""
    clusters = subprocess.run(
        ["pg_lsclusters", "-h"], check=True, capture_output=True, text=True
    ).stdout
    if not any(line.split()[:2] == [version, name] for line in clusters.splitlines()):
        subprocess.run(
            ["pg_createcluster", version, name, "-p", str(port)],
            check=True,
            capture_output=True,
        )
    subprocess.run(["pg_ctlcluster", version, name, "start"], capture_output=True)
    wait_ready(port)
    psql(
        port,
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='lifecert')"
        " THEN CREATE ROLE lifecert LOGIN SUPERUSER PASSWORD 'lifecert'; END IF;"
        " END $$;",
    )
    psql(port, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    psql(port, f"CREATE DATABASE {DATABASE} OWNER lifecert")
    return f"postgres://lifecert:lifecert@127.0.0.1:{port}/{DATABASE}"


# ---------------------------------------------------------------- server


def production_env(var_dir: Path, database_url: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = pensioner_load.server_env(var_dir)
    # Production limits on starts and failures (clients rotate pensioners).
    for name in ("FACE_MAX_FAILURES_PER_DAY", "FACE_MAX_STARTS_PER_DAY"):
        env.pop(name)
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "LIFECERT_DATA_KEYS": Fernet.generate_key().decode(),
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_PROXY_SSL": "1",
            "TRUSTED_PROXY_COUNT": "1",
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def start_gunicorn(
    env: dict[str, str], port: int, workers: int, threads: int, log: Path
) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "lifecert.wsgi",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "--keep-alive",
        "5",
        "--preload",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )


def workers_of(master: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == master:
                found.append(int(entry.name))
    return found


def on_cpu(pid: int) -> bool:
    """Whether a thread of ``pid`` is running (state R) right now."""
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            if (task / "stat").read_text().rsplit(")", 1)[1].split()[0] == "R":
                return True
    return False


# ---------------------------------------------------------------- recording


@dataclass
class Record:
    kind: str
    start: float
    end: float
    status: int  # 0: no HTTP answer
    error: str  # "" when the request succeeded


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: list[Record] = []
        self.in_flight = 0

    def add(self, record: Record) -> None:
        with self.lock:
            self.records.append(record)


def kind_of(method: str, path: str) -> str:
    path = path.split("?", 1)[0]
    if path.endswith("/frames/"):
        return "face_frames"
    if path.endswith("/finish/"):
        return "face_finish"
    return {
        ("GET", "/accounts/unit/login/"): "unit_login_page",
        ("POST", "/accounts/unit/login/"): "unit_login",
        ("GET", "/accounts/unit/"): "unit_home",
        ("GET", "/unit/certify/list/"): "unit_list",
        ("POST", "/unit/certify/select/"): "unit_select",
        ("GET", "/unit/certify/confirm/"): "unit_confirm",
        ("POST", "/unit/certify/save/"): "unit_save",
        ("POST", "/accounts/logout/"): "logout",
        ("GET", "/personal/certify/login/"): "cert_login_page",
        ("POST", "/personal/certify/login/"): "cert_login",
        ("GET", "/personal/certify/"): "cert_page",
        ("GET", "/personal/"): "cert_centre",
        ("POST", "/personal/certify/logout/"): "logout",
        ("POST", "/personal/certify/sessions/"): "face_start",
    }.get((method, path), f"{method} {path}")


FACE_ANSWERS = {"face_frames": {400, 409, 410}, "face_finish": {409, 410}}


class RecordingBrowser(pensioner_load.Browser):
    """A browser behind our pretend proxy that records every request.

    It does not resend a failed request (``retry`` off), so every broken
    connection counts as an error the client saw.
    """

    def __init__(self, port: int, recorder: Recorder, address: str) -> None:
        super().__init__("127.0.0.1", port)
        self.conn.timeout = 30  # a hang shows as an error, not as a stuck bench
        self.retry = False
        self.recorder = recorder
        self.referer = f"https://127.0.0.1:{port}/"
        self.headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": address}
        self.face_session = ""

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        kind = kind_of(method, path)
        with self.recorder.lock:
            self.recorder.in_flight += 1
        start = time.monotonic()
        try:
            status, data = super().request(method, path, body, headers)
        except Exception as exc:
            self.recorder.add(
                Record(kind, start, time.monotonic(), 0, type(exc).__name__)
            )
            raise
        finally:
            with self.recorder.lock:
                self.recorder.in_flight -= 1
        error = ""
        if status >= 500 or (
            status >= 400 and status not in FACE_ANSWERS.get(kind, ())
        ):
            text = data.decode(errors="replace")
            page = "Chinese error page" if ERROR_PAGE in text else "other body"
            error = f"{status} {page}"
        elif kind == "face_start" and status == 201:
            self.face_session = json.loads(data)["frame_url"].split("/")[-3]
        self.recorder.add(Record(kind, start, time.monotonic(), status, error))
        return status, data


def form_value(page: bytes, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"'.encode(), page)
    if not found:
        raise FlowError(f"no {name} on the page")
    return found.group(1).decode()


class FlowError(Exception):
    pass


def post_form(browser: RecordingBrowser, path: str, fields: list[tuple[str, str]]):
    body = urllib.parse.urlencode(fields).encode()
    return browser.request(
        "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
    )


# ---------------------------------------------------------------- clients


@dataclass
class Save:
    ticked: list[str]
    saved: int | None  # None: the client did not learn the outcome


@dataclass
class Face:
    session: str
    verdict: str


@dataclass
class Results:
    lock: threading.Lock = field(default_factory=threading.Lock)
    saves: list[Save] = field(default_factory=list)
    faces: list[Face] = field(default_factory=list)
    cert_logins: int = 0
    unit_rounds: int = 0
    flow_errors: dict[str, int] = field(default_factory=dict)

    def flow_error(self, what: str) -> None:
        with self.lock:
            self.flow_errors[what] = self.flow_errors.get(what, 0) + 1


def unit_round(browser: RecordingBrowser, username: str, results: Results) -> None:
    """Log in, a list page, tick two, 保存 → confirmation → 确认认证, log out."""
    _, page = browser.request("GET", "/accounts/unit/login/")
    status, _ = post_form(
        browser,
        "/accounts/unit/login/",
        [
            ("csrfmiddlewaretoken", form_value(page, "csrfmiddlewaretoken")),
            ("username", username),
            ("password", UNIT_PASSWORD),
        ],
    )
    if status != 302:
        raise FlowError(f"unit login {status}")
    browser.request("GET", "/accounts/unit/")
    status, page = browser.request("GET", "/unit/certify/list/")
    found = re.search("第 1 / (\\d+) 页".encode(), page)
    pages = int(found.group(1)) if found else 1
    number = random.randint(1, max(1, min(pages, 8)))
    status, page = browser.request("GET", f"/unit/certify/list/?page={number}")
    if status != 200:
        raise FlowError(f"unit list {status}")
    rows = re.findall(rb'name="selected" value="([0-9a-f-]+)"', page)
    if not rows:
        return
    ticked = [row.decode() for row in random.sample(rows, min(2, len(rows)))]
    status, _ = post_form(
        browser,
        "/unit/certify/select/",
        [
            ("csrfmiddlewaretoken", form_value(page, "csrfmiddlewaretoken")),
            ("shown", form_value(page, "shown")),
            ("page", str(number)),
            ("name", ""),
            ("ssn", ""),
            ("action", "save"),
            *[("selected", value) for value in ticked],
        ],
    )
    if status != 302:
        raise FlowError(f"unit select {status}")
    status, confirm = browser.request("GET", "/unit/certify/confirm/")
    if status != 200:
        raise FlowError(f"unit confirm {status}")
    if b'name="token"' not in confirm:  # both certified meanwhile: nothing to attest
        return
    save = Save(ticked, None)
    with results.lock:
        results.saves.append(save)
    status, _ = post_form(
        browser,
        "/unit/certify/save/",
        [
            ("csrfmiddlewaretoken", form_value(confirm, "csrfmiddlewaretoken")),
            ("token", form_value(confirm, "token")),
        ],
    )
    if status != 302:
        raise FlowError(f"unit save {status}")
    status, page = browser.request("GET", "/unit/certify/list/")
    text = page.decode()
    if status == 200 and (found := SAVED.search(text)):
        save.saved = int(found.group(1))
    elif status == 200 and any(words in text for words in NOTHING_SAVED):
        save.saved = 0
    post_form(
        browser,
        "/accounts/logout/",
        [("csrfmiddlewaretoken", form_value(page, "csrfmiddlewaretoken"))],
    )
    with results.lock:
        results.unit_rounds += 1


def cert_round(
    browser: RecordingBrowser, name: str, ssn: str, results: Results
) -> None:
    """Certification login (name + number), 用户中心, 退出."""
    try:
        pensioner_load.login(browser, name, ssn)
    except AssertionError as exc:
        raise FlowError(str(exc)) from None
    status, page = browser.request("GET", "/personal/")
    if status != 200:
        raise FlowError(f"centre {status}")
    post_form(
        browser,
        "/personal/certify/logout/",
        [("csrfmiddlewaretoken", form_value(page, "csrfmiddlewaretoken"))],
    )
    with results.lock:
        results.cert_logins += 1


def run_load(
    port: int,
    args: argparse.Namespace,
    unit_accounts: list[str],
    cert_people: list[tuple[str, str]],
    face_people: list[tuple[str, str]],
    man: actors.Performer,
    recorder: Recorder,
    results: Results,
    stop: threading.Event,
) -> list[threading.Thread]:
    def address() -> str:
        return ".".join(str(random.randint(1, 250)) for _ in range(4))

    def loop(body: Callable[[int], None], what: str) -> Callable[[int], None]:
        def run(slot: int) -> None:
            turn = 0
            while not stop.is_set():
                try:
                    body(slot + turn * 1000)
                except FlowError as exc:
                    results.flow_error(f"{what}: {exc}")
                    stop.wait(PAUSE_AFTER_ERROR)
                except Exception as exc:  # a broken connection: recorded, go on
                    results.flow_error(f"{what}: {type(exc).__name__}")
                    stop.wait(PAUSE_AFTER_ERROR)
                turn += 1

        return run

    def unit(n: int) -> None:
        slot = n % 1000
        browser = RecordingBrowser(port, recorder, address())
        unit_round(browser, unit_accounts[slot], results)

    cert_turn = iter(range(10**9))

    def cert(n: int) -> None:
        name, ssn = cert_people[next(cert_turn) % len(cert_people)]
        cert_round(RecordingBrowser(port, recorder, address()), name, ssn, results)

    face_turn = iter(range(10**9))

    def face(n: int) -> None:
        name, ssn = face_people[next(face_turn) % len(face_people)]
        browser = RecordingBrowser(port, recorder, address())
        rng = random.Random(n)
        try:
            pensioner_load.login(browser, name, ssn)
        except AssertionError as exc:
            raise FlowError(str(exc)) from None
        verdict = "error"
        try:
            out = pensioner_load.live_session(
                browser, lambda: pensioner_load.genuine(man, rng)
            )
            verdict = out.verdict
        finally:
            if browser.face_session:
                with results.lock:
                    results.faces.append(Face(browser.face_session, verdict))

    plan = (
        [(loop(unit, "unit"), n) for n in range(args.unit_clients)]
        + [(loop(cert, "cert"), n) for n in range(args.cert_clients)]
        + [(loop(face, "face"), n) for n in range(args.face_clients)]
    )
    threads = [threading.Thread(target=run, args=(n,), daemon=True) for run, n in plan]
    for thread in threads:
        thread.start()
    return threads


# ---------------------------------------------------------------- faults


@dataclass
class Fault:
    name: str
    at: float
    took: float = 0.0  # restart command, or until the worker was replaced
    detail: str = ""


def restart_postgres(version: str, name: str) -> Fault:
    fault = Fault("postgresql_restart", time.monotonic())
    subprocess.run(
        ["pg_ctlcluster", version, name, "restart", "-m", "fast"],
        check=True,
        capture_output=True,
    )
    fault.took = time.monotonic() - fault.at
    return fault


def kill_worker(master: int, workers: int, recorder: Recorder) -> Fault:
    """SIGKILL a worker that is on the CPU while a client request is in flight."""
    deadline = time.monotonic() + 10
    victim = None
    while victim is None:
        for pid in workers_of(master):
            if (recorder.in_flight and on_cpu(pid)) or time.monotonic() > deadline:
                victim = pid
                break
        else:
            time.sleep(0.002)
    fault = Fault("worker_sigkill", time.monotonic(), detail=f"pid {victim}")
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = workers_of(master)
        if len(now) >= workers and victim not in now:
            break
        time.sleep(0.01)
    fault.took = time.monotonic() - fault.at
    return fault


def fault_effect(fault: Fault, records: list[Record], until: float) -> dict:
    """Errors of the requests that ended between the fault and ``until``."""
    hit = [r for r in records if r.error and fault.at <= r.end < until]
    back = fault.at + fault.took
    last = max((r.end for r in hit), default=fault.at)
    after = [r for r in records if not r.error and r.start >= last]
    recovered = min((r.start for r in after), default=last) - fault.at
    errors: dict[str, int] = {}
    for r in hit:
        errors[f"{r.kind}: {r.error}"] = errors.get(f"{r.kind}: {r.error}", 0) + 1
    return {
        "fault": fault.name,
        "at_s": None,
        "took_s": round(fault.took, 2),
        "detail": fault.detail,
        "errors": len(hit),
        "error_kinds": errors,
        "errors_after_it_was_over": sum(1 for r in hit if r.start > back),
        "last_error_s": round(last - fault.at, 2) if hit else 0.0,
        "slowest_failed_request_s": round(
            max((r.end - r.start for r in hit), default=0.0), 2
        ),
        "first_success_after_s": round(max(recovered, 0.0), 2),
    }


# ---------------------------------------------------------------- figures


def per_kind(records: list[Record]) -> dict[str, dict]:
    kinds: dict[str, list[Record]] = {}
    for r in records:
        kinds.setdefault(r.kind, []).append(r)
    table = {}
    for kind, rows in sorted(kinds.items()):
        good = [r.end - r.start for r in rows if not r.error]
        table[kind] = {
            "requests": len(rows),
            "p50_ms": round(percentile(good, 50) * 1000, 1),
            "p95_ms": round(percentile(good, 95) * 1000, 1),
            "max_ms": round(max(good, default=0.0) * 1000, 1),
            "errors": sum(1 for r in rows if r.error),
        }
    return table


def reconcile(base: dict[str, int], results: Results) -> dict:
    """Rows written during the run against what the clients were told."""
    from django.db import connections
    from django.db.models import Count
    from django.utils import timezone

    from lifecert.certification.models import Certification, Channel, FaceSession
    from lifecert.core.models import AuditEvent

    connections.close_all()  # the cluster restarted under this process too
    new_certs = Certification.objects.filter(id__gt=base["certification"])
    unit = new_certs.filter(channel=Channel.UNIT)
    face = new_certs.filter(channel=Channel.FACE)
    audit = dict(
        AuditEvent.objects.filter(id__gt=base["audit"])
        .values_list("action")
        .annotate(n=Count("id"))
        .values_list("action", "n")
    )

    # Unit saves: every person of a save the client saw succeed is certified,
    # nobody twice this month, nobody nobody ticked; the rows beyond the
    # confirmed counts come from saves whose answer the client lost.
    month = timezone.localtime().replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    certified = set(map(str, unit.values_list("entitlement__public_id", flat=True)))
    unit_rows = unit.count()
    this_month = (
        Certification.objects.filter(
            entitlement__public_id__in=certified, certified_at__gte=month
        )
        .values("entitlement_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    seen = [s for s in results.saves if s.saved is not None]
    in_doubt = [s for s in results.saves if s.saved is None]
    ticked = {value for s in results.saves for value in s.ticked}
    lost = {value for s in seen if s.saved for value in s.ticked} - certified
    seen_saved = sum(s.saved or 0 for s in seen)
    from_doubt = unit_rows - seen_saved
    doubt_ticked = {value for s in in_doubt for value in s.ticked}

    # Face: each verdict "passed" the client saw is one certification.
    sessions = FaceSession.objects.filter(id__gt=base["face_session"])
    passed = sessions.filter(status=FaceSession.Status.PASSED)
    passed_ids = set(map(str, passed.values_list("public_id", flat=True)))
    client_passed = {f.session for f in results.faces if f.verdict == "passed"}
    unanswered = {f.session for f in results.faces if f.verdict.startswith(UNANSWERED)}
    face_rows = face.count()
    face_sessions_certified = passed.exclude(certification=None).count()

    checks = {
        "unit_saved_people_all_certified": not lost,
        "unit_nobody_certified_twice_this_month": this_month == 0,
        "unit_only_ticked_people_certified": certified <= ticked,
        "unit_rows_beyond_seen_from_unanswered_saves": 0
        <= from_doubt
        <= len(doubt_ticked),
        "unit_audit_rows_equal_certifications": audit.get("certification.unit", 0)
        == unit_rows,
        "face_seen_passes_in_database": client_passed <= passed_ids,
        "face_one_certification_per_passed_session": face_rows
        == len(passed_ids)
        == face_sessions_certified,
        "face_passes_beyond_seen_from_unanswered_requests": passed_ids - client_passed
        <= unanswered,
        "face_audit_rows_equal_certifications": audit.get("certification.create", 0)
        == face_rows,
    }
    return {
        "unit": {
            "saves": len(results.saves),
            "saves_answered": len(seen),
            "saves_unanswered": len(in_doubt),
            "people_saved_per_answers": seen_saved,
            "certifications_written": unit_rows,
            "written_by_unanswered_saves": from_doubt,
            "audit_rows": audit.get("certification.unit", 0),
        },
        "face": {
            "sessions": sessions.count(),
            "client_verdicts": _count(f.verdict for f in results.faces),
            "passed_seen_by_clients": len(client_passed),
            "passed_in_database": len(passed_ids),
            "certifications_written": face_rows,
            "audit_rows": audit.get("certification.create", 0),
            "left_open": sessions.filter(status=FaceSession.Status.OPEN).count(),
        },
        "audit_rows_by_action": audit,
        "checks": checks,
        "ok": all(checks.values()),
    }


def _count(values) -> dict[str, int]:
    counted: dict[str, int] = {}
    for value in values:
        counted[value] = counted.get(value, 0) + 1
    return counted


# ---------------------------------------------------------------- main


def setup_accounts(unit_clients: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Unit accounts (two share the big unit) with the letter accepted, and the
    seeded pensioners the certification logins use."""
    from lifecert.demo import loader as demo
    from lifecert.demo import testing
    from lifecert.employer import services
    from lifecert.registry.models import Entitlement, Unit

    units = [
        Unit.objects.get(number=demo.DEMO_BIG_UNIT),
        Unit.objects.get(number=demo.DEMO_SECOND_UNIT),
    ]
    accounts = []
    for n in range(unit_clients):
        user = testing.make_unit_user(
            units[n % 3 // 2],
            username=f"load_unit_{n}",
            password=UNIT_PASSWORD,
        )
        services.accept_commitment(
            acting_user=user, binding=user.bindings.get(), ip="127.0.0.1"
        )
        accounts.append(user.username)
    people = list(
        Entitlement.objects.filter(status=Entitlement.Status.NORMAL)
        .exclude(person__ssn=demo.DEMO_PERSONAL_SSN)
        .order_by("id")
        .values_list("person__name", "person__ssn")[:400]
    )
    return accounts, people


def baseline() -> dict[str, int]:
    from django.db.models import Max

    from lifecert.certification.models import Certification, FaceSession
    from lifecert.core.models import AuditEvent

    return {
        name: model.objects.aggregate(m=Max("id"))["m"] or 0
        for name, model in (
            ("certification", Certification),
            ("audit", AuditEvent),
            ("face_session", FaceSession),
        )
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=70.0, help="load duration")
    parser.add_argument("--persons", type=int, default=3000, help="seed_demo size")
    parser.add_argument("--face-persons", type=int, default=30)
    parser.add_argument("--unit-clients", type=int, default=3)
    parser.add_argument("--cert-clients", type=int, default=2)
    parser.add_argument("--face-clients", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--pg-cluster", default="15/lifecert_load", help="VERSION/NAME")
    parser.add_argument("--pg-port", type=int, default=5439)
    parser.add_argument("--restart-at", type=float, default=20.0, help="0: no restart")
    parser.add_argument("--kill-at", type=float, default=45.0, help="0: no kill")
    parser.add_argument("--keep", action="store_true", help="leave the cluster up")
    args = parser.parse_args()
    version, cluster = args.pg_cluster.split("/", 1)

    if not (pensioner_load.shared_dir() / "media").is_dir():
        raise SystemExit("clips not found (LIFECERT_SHARED_DIR)")
    man = actors.webcam_man(pensioner_load.shared_dir())
    var_dir = Path(tempfile.mkdtemp(prefix="lifecert-load-"))
    started = time.monotonic()
    database_url = prepare_cluster(version, cluster, args.pg_port)
    env = production_env(var_dir, database_url)
    for step in (
        ("migrate", "-v", "0"),
        ("seed_demo", "--persons", str(args.persons), "--force-production"),
    ):
        done = manage(env, *step)
        if done.returncode:
            raise SystemExit(f"manage.py {step[0]} failed:\n{done.stderr}")
    face_people = pensioner_load.prepare_database(env, args.face_persons)
    unit_accounts, cert_people = setup_accounts(args.unit_clients)
    deploy = manage(env, "check", "--deploy")
    print(f"setup {time.monotonic() - started:.1f} s; check --deploy:", end=" ")
    print((deploy.stdout + deploy.stderr).strip().splitlines()[-1])

    port = pensioner_load.free_port()
    log = var_dir / "gunicorn.log"
    server = start_gunicorn(env, port, args.workers, args.threads, log)
    recorder, results, stop = Recorder(), Results(), threading.Event()
    faults: list[Fault] = []
    try:
        probe = RecordingBrowser(port, Recorder(), "10.0.0.1")
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                if probe.request("GET", "/accounts/unit/login/")[0] == 200:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"gunicorn did not serve:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        base = baseline()
        from django.db import connections

        connections.close_all()
        load_start = time.monotonic()
        load_before = os.getloadavg()[0]
        threads = run_load(
            port,
            args,
            unit_accounts,
            cert_people,
            face_people,
            man,
            recorder,
            results,
            stop,
        )
        schedule = sorted(
            (at, what)
            for at, what in ((args.restart_at, "restart"), (args.kill_at, "kill"))
            if at
        )
        for at, what in schedule:
            wait = load_start + at - time.monotonic()
            if wait > 0:
                stop.wait(wait)
            if what == "restart":
                faults.append(restart_postgres(version, cluster))
            else:
                faults.append(kill_worker(server.pid, args.workers, recorder))
        remaining = load_start + args.seconds - time.monotonic()
        if remaining > 0:
            stop.wait(remaining)
        stop.set()
        load_wall = time.monotonic() - load_start
        load_after = os.getloadavg()[0]
        for thread in threads:
            thread.join()  # a face session in progress runs to its verdict
        wall = time.monotonic() - load_start
    finally:
        stop.set()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    records = recorder.records
    ok = [r for r in records if not r.error]
    table = per_kind(records)
    print(
        f"\nload {load_wall:.0f} s (+{wall - load_wall:.0f} s: face sessions ending),"
        f" {args.workers} workers x {args.threads} threads, clients: "
        f"{args.unit_clients} unit, {args.cert_clients} cert login, "
        f"{args.face_clients} face; load average {load_before:.1f} before,"
        f" {load_after:.1f} at the end"
    )
    print(
        f"{'request':18} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'err':>4}"
    )
    for kind, row in table.items():
        print(
            f"{kind:18} {row['requests']:6} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f}"
            f" {row['max_ms']:8.1f} {row['errors']:4}"
        )
    print(
        f"throughput {len(records) / wall:.1f} requests/s ({len(ok)} ok of"
        f" {len(records)}); unit rounds {results.unit_rounds}, saves"
        f" {len(results.saves)}, certification logins {results.cert_logins},"
        f" face sessions {len(results.faces)}"
    )
    effects = []
    ends = [f.at for f in faults[1:]] + [float("inf")]
    for fault, until in zip(faults, ends, strict=True):
        effect = fault_effect(fault, records, until)
        effect["at_s"] = round(fault.at - load_start, 1)
        effects.append(effect)
        print(f"\nfault {fault.name} at {effect['at_s']} s ({fault.detail})")
        print(
            f"  took {effect['took_s']} s; errors seen by clients: {effect['errors']}"
        )
        for what, n in effect["error_kinds"].items():
            print(f"    {n:4}  {what}")
        print(
            f"  slowest failed request {effect['slowest_failed_request_s']} s;"
            f" last error {effect['last_error_s']} s after the fault; requests"
            f" succeed again {effect['first_success_after_s']} s after it;"
            f" errors on requests begun after it was over:"
            f" {effect['errors_after_it_was_over']}"
        )
    slowest = sorted(ok, key=lambda r: r.start - r.end)[:5]
    print("\nslowest successful requests (kind, began at, seconds):")
    for r in slowest:
        print(f"  {r.kind} at {r.start - load_start:.1f} s: {r.end - r.start:.2f} s")
    first_fault = faults[0].at if faults else float("inf")
    counted = {id(r) for r in records if r.error and r.end >= first_fault}
    other_errors = [r for r in records if r.error and id(r) not in counted]
    print(f"\nerrors outside the fault windows: {len(other_errors)}")
    for r in other_errors[:10]:
        print(f"  {r.kind}: {r.error} at {r.start - load_start:.1f} s")
    if results.flow_errors:
        print(f"flows cut short: {results.flow_errors}")

    rec = reconcile(base, results)
    print("\nreconciliation")
    print(f"  unit:  {rec['unit']}")
    print(f"  face:  {rec['face']}")
    for name, good in rec["checks"].items():
        print(f"  {'ok  ' if good else 'FAIL'} {name}")
    chain = manage(env, "verify_audit_chain")
    chain_text = (chain.stdout + chain.stderr).strip()
    print(f"  verify_audit_chain (exit {chain.returncode}): {chain_text}")
    log_text = log.read_text(errors="replace")
    server_errors = log_text.count("Internal Server Error")
    print(f"  gunicorn log: {server_errors} 'Internal Server Error' entries")

    if not args.keep:
        subprocess.run(["pg_ctlcluster", version, cluster, "stop"], capture_output=True)
    shutil.rmtree(var_dir, ignore_errors=True)
    summary = {
        "benchmark": "load_faults",
        "cpus": os.cpu_count(),
        "gunicorn": f"{args.workers} workers x {args.threads} threads",
        "database": f"postgresql {version}",
        "seed_persons": args.persons,
        "clients": {
            "unit": args.unit_clients,
            "cert_login": args.cert_clients,
            "face": args.face_clients,
        },
        "load_seconds": round(load_wall, 1),
        "load_average": [round(load_before, 1), round(load_after, 1)],
        "slowest_ok": [
            [r.kind, round(r.start - load_start, 1), round(r.end - r.start, 2)]
            for r in slowest
        ],
        "wall_seconds": round(wall, 1),
        "requests": len(records),
        "requests_per_second": round(len(records) / wall, 1),
        "errors": len(records) - len(ok),
        "errors_outside_faults": len(other_errors),
        "kinds": table,
        "faults": effects,
        "reconciliation": rec,
        "audit_chain_ok": chain.returncode == 0,
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
