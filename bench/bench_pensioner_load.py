"""Load benchmark: N concurrent face-certification sessions against a real server.

It starts gunicorn on loopback with a fresh SQLite database in a temporary folder
(or uses ``--url`` of a server you started, whose database must hold the bench
persons), creates pensioners enrolled from a frame of the webcam man, and runs
N simulated browsers at once. Each one does what ``static/js/camera.js`` does:
certification login, the camera page (CSRF cookie), ``POST`` a session, then
480x360 JPEG frames at the pace the server asks (8 a second while an action is
asked, 4 while it holds the next one back), one request at a time carrying the
frames captured while the previous one was under way, until the server
decides; then it starts the next session. The person in front of the camera is
a genuine responder (``faceverify.actors``): still until prompted, then the
real clip of the asked action.

Reported per concurrency level: completed sessions per minute, request
round-trip p50/p95 (``frame_rtt``), frames per request, verdicts, and the
server's CPU-seconds per session and per certification (utime+stime of
gunicorn's processes from /proc). The last printed line is one JSON object.

    .venv/bin/python bench/bench_pensioner_load.py --levels 2,4,8 --seconds 60
    .venv/bin/python bench/bench_pensioner_load.py --levels 4,8 --seconds 60 \
        --database-url postgres://lifecert:lifecert@127.0.0.1:5432/lifecert_load
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
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
sys.path.insert(0, str(ROOT))
from benchlib import percentile  # noqa: E402

from faceverify import actors  # noqa: E402

# Each simulated pensioner is a genuine person made of the webcam man's real
# clips (faceverify.actors): still while waiting, the asked action a human
# reaction after each prompt (0.6-1.4 s, one in four an elderly 2.0-2.5 s). He
# is enrolled from a frame of another recording. The challenge is drawn from
# the actions his clips show (all but blink).
ACTIONS = "turn_left,turn_right,nod,open_mouth"
FPS = 8.0  # camera.js while an action is asked; 4 fps while the server holds
CLK_TCK = os.sysconf("SC_CLK_TCK")


def shared_dir() -> Path:
    return Path(os.environ.get("LIFECERT_SHARED_DIR", ROOT.parent / "shared"))


# ---------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "lifecert.settings",
            # SQLite and the fixed challenge are development settings.
            "DEBUG": "1",
            "LIFECERT_VAR_DIR": str(var_dir),
            "FACE_ACTIONS": ACTIONS,
            "FACE_MAX_FAILURES_PER_DAY": "1000000",
            "FACE_MAX_STARTS_PER_DAY": "1000000",
            # Every simulated pensioner calls from loopback: one address.
            "FACE_MAX_ACTIVE_PER_ADDRESS": "0",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def prepare_database(env: dict[str, str], persons: int) -> list[tuple[str, str]]:
    """Migrate and create ``persons`` pensioners enrolled from the same photo."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from lifecert.certification.enrolment import enrol_photo
    from lifecert.certification.models import FaceTemplate
    from lifecert.demo import testing

    region = testing.make_region("440100")
    photo = actors.webcam_man(shared_dir()).enrolment
    people = []
    template = None
    for n in range(persons):
        person = testing.make_person(name=f"压测{n}", ssn=testing.make_ssn())
        testing.make_entitlement(person=person, region=region)
        if template is None:
            template = enrol_photo(
                person=person, photo=photo, content_type="image/jpeg", acting_user=None
            )
            assert template.status == "ready", template.failure_reason
        else:
            FaceTemplate.objects.create(
                person=person,
                photo=photo,
                descriptor=template.descriptor,
                status=FaceTemplate.Status.READY,
            )
        people.append((person.name, person.ssn))
    return people


def start_server(env: dict[str, str], port: int, workers: int, threads: int):
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "lifecert.wsgi",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "--preload",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def cpu_seconds(root_pid: int) -> float:
    """utime+stime of ``root_pid`` and its children, from /proc."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        pid, ppid = int(entry.name), int(fields[1])
        if pid == root_pid or ppid == root_pid:
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


# ---------------------------------------------------------------- one browser


class Browser:
    def __init__(self, host: str, port: int) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=120)
        self.cookies: dict[str, str] = {}
        # Sent with every request (bench_load_faults adds a proxy's X-Forwarded-*).
        self.headers: dict[str, str] = {}
        self.referer = f"http://127.0.0.1:{port}/"
        # Resend once on a fresh connection when the kept-alive one fails.
        self.retry = True

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        all_headers = {**self.headers, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(
                f"{k}={v}" for k, v in self.cookies.items()
            )
        all_headers["Referer"] = self.referer
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            if not self.retry:
                raise
            self.conn.connect()
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")


def login(browser: Browser, name: str, ssn: str) -> None:
    status, page = browser.request("GET", "/personal/certify/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no csrf token on the login page"
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1).decode(), "name": name, "ssn": ssn}
    ).encode()
    status, _ = browser.request(
        "POST",
        "/personal/certify/login/",
        form,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 302, f"login failed: {status}"
    browser.request("GET", "/personal/certify/")


MAX_BATCH = 8  # FACE_MAX_BATCH_FRAMES, as the server tells the browser


def _multipart(batch: list[tuple[bytes, float]]) -> tuple[bytes, str]:
    """The body camera.js builds with FormData: ``frame`` files and ``ts``."""
    boundary = f"lifecert{random.getrandbits(64):x}"
    parts = []
    for jpeg, at in batch:
        parts += [
            f'--{boundary}\r\nContent-Disposition: form-data; name="frame";'
            ' filename="frame.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode(),
            jpeg,
            b"\r\n",
            f'--{boundary}\r\nContent-Disposition: form-data; name="ts"\r\n\r\n'
            f"{at:.3f}\r\n".encode(),
        ]
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Outcome:
    verdict: str
    seconds: float = 0.0
    frames: int = 0
    prompts: list[tuple[float, str]] = field(default_factory=list)  # first seen
    round_trips: list[float] = field(default_factory=list)


def _post_frames(
    browser: Browser, url: str, batch: list[tuple[bytes, float]]
) -> tuple[int, dict]:
    headers = {"X-CSRFToken": browser.csrf()}
    if len(batch) == 1:
        payload = batch[0][0]
        headers["Content-Type"] = "image/jpeg"
        headers["X-Frame-Time"] = f"{batch[0][1]:.3f}"
    else:
        payload, headers["Content-Type"] = _multipart(batch)
    status, body = browser.request("POST", url, payload, headers)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {}


def _start(browser: Browser) -> tuple[int, dict]:
    status, body = browser.request(
        "POST", "/personal/certify/sessions/", b"", {"X-CSRFToken": browser.csrf()}
    )
    return status, json.loads(body) if status == 201 else {}


def _finish(browser: Browser, session: dict) -> str:
    status, body = browser.request(
        "POST", session["finish_url"], b"", {"X-CSRFToken": browser.csrf()}
    )
    data = json.loads(body) if status == 200 else {}
    return (data.get("verdict") or {}).get("code", f"finish_{status}")


def live_session(
    browser: Browser,
    make_actor: Callable[[], actors.Actor],
    fps: float = FPS,
) -> Outcome:
    """A camera in real time: frames captured at ``fps``, each request carrying
    those captured while the previous one was under way; the actor is told each
    response's ``current_action`` (as the page shows it) when it arrives."""
    status, session = _start(browser)
    if status != 201:
        return Outcome(f"start_{status}")
    step = session.get("frame_interval_ms", 1000 / fps) / 1000
    most = int(session.get("max_batch_frames", MAX_BATCH))
    span = float(session.get("max_frame_span_s", 1.2))
    cap = float(session.get("session_seconds", 120.0)) + 5.0
    actor = make_actor()
    out = Outcome("unfinished")
    seen: set[str] = set()
    started = time.monotonic()
    next_capture = 0.0
    # As camera.js: a request at most every send_interval_ms.
    send_every = float(session.get("send_interval_ms", 0)) / 1000
    last_sent = -send_every
    while True:
        elapsed = time.monotonic() - started
        if elapsed > cap:
            out.verdict = _finish(browser, session)
            break
        ready = max(next_capture, last_sent + send_every)
        if ready > elapsed:
            time.sleep(ready - elapsed)
            continue
        # The captures due since the last request, at the server's pace, the
        # newest ``most`` within the batch span camera.js keeps.
        due = []
        while next_capture <= elapsed:
            due.append(next_capture)
            next_capture += step
        due = [t for t in due[-most:] if due[-1] - t <= span]
        batch = [(actor.frame(t), t) for t in due]
        began = time.monotonic()
        last_sent = began - started
        status, progress = _post_frames(browser, session["frame_url"], batch)
        out.round_trips.append(time.monotonic() - began)
        out.frames += len(batch)
        if status == 409:
            continue
        if status != 200:
            if progress.get("error") in ("bad_image", "no_face"):
                continue
            out.verdict = f"frame_{status}"
            break
        now = time.monotonic() - started
        action = progress.get("current_action")
        actor.prompted(action, now)
        if action and action not in seen:
            seen.add(action)
            out.prompts.append((now, action))
        asked = progress.get("frame_interval_ms", step * 1000) / 1000
        if asked < step:
            next_capture = min(next_capture, now)  # camera.js takes one at once
        step = asked
        if progress.get("finished"):
            out.verdict = progress["verdict"]["code"]
            break
    out.seconds = time.monotonic() - started
    return out


def genuine(performer: actors.Performer, rng: random.Random) -> actors.Responder:
    """A person reacting in 0.6-1.4 s, one in four an elderly one (2.0-2.5 s)."""
    slow = rng.random() < 0.25
    return actors.Responder(
        performer,
        reaction_seconds=2.0 if slow else 0.6,
        jitter_seconds=0.5 if slow else 0.8,
        rng=rng,
    )


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.round_trips: list[float] = []  # one per request
        self.frames = 0
        self.verdicts: dict[str, int] = {}
        self.session_seconds: list[float] = []
        self.errors = 0
        self.busy = 0  # starts refused: FACE_MAX_ACTIVE_SESSIONS reached

    def add_frame(self, seconds: float, frames: int) -> None:
        with self.lock:
            self.round_trips.append(seconds)
            self.frames += frames

    def add_session(self, verdict: str, seconds: float) -> None:
        with self.lock:
            self.verdicts[verdict] = self.verdicts.get(verdict, 0) + 1
            self.session_seconds.append(seconds)


def run_level(
    port: int,
    people: list[tuple[str, str]],
    man: actors.Performer,
    concurrency: int,
    seconds: float,
    server_pid: int | None,
) -> dict:
    stats = Stats()
    stop_at = time.monotonic() + seconds
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    client_before = time.process_time()
    wall_before = time.monotonic()

    def worker(slot: int) -> None:
        browser = Browser("127.0.0.1", port)
        name, ssn = people[slot % len(people)]
        login(browser, name, ssn)
        rng = random.Random(slot)
        while time.monotonic() < stop_at:
            began = time.monotonic()
            out = live_session(browser, lambda: genuine(man, rng))
            if out.verdict == "start_503":
                # 当前进行人脸认证的人较多: no session, no try; the page asks
                # the pensioner to try again in a minute, the bench in 2 s.
                with stats.lock:
                    stats.busy += 1
                time.sleep(2.0)
                continue
            with stats.lock:
                stats.round_trips += out.round_trips
                stats.frames += out.frames
            stats.add_session(out.verdict, time.monotonic() - began)

    threads = [
        threading.Thread(target=worker, args=(n,), daemon=True)
        for n in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - wall_before
    cpu = (cpu_seconds(server_pid) - cpu_before) if server_pid else None
    client_cpu = time.process_time() - client_before
    sessions = len(stats.session_seconds)
    passed = stats.verdicts.get("passed", 0)
    return {
        "concurrency": concurrency,
        "wall_seconds": round(wall, 1),
        "sessions": sessions,
        "sessions_per_minute": round(sessions / wall * 60, 1),
        "passed_per_minute": round(passed / wall * 60, 1),
        "genuine_rejection_rate": round(1 - passed / sessions, 3) if sessions else None,
        "requests": len(stats.round_trips),
        "frames": stats.frames,
        "frames_per_second": round(stats.frames / wall, 1),
        "frames_per_request": round(stats.frames / len(stats.round_trips), 2)
        if stats.round_trips
        else None,
        "frame_rtt_p50_ms": round(percentile(stats.round_trips, 50) * 1000, 1),
        "frame_rtt_p95_ms": round(percentile(stats.round_trips, 95) * 1000, 1),
        "session_seconds_median": round(statistics.median(stats.session_seconds), 2)
        if stats.session_seconds
        else None,
        "verdicts": stats.verdicts,
        "errors": stats.errors,
        "starts_refused_busy": stats.busy,
        "server_cpu_seconds": None if cpu is None else round(cpu, 2),
        "load_generator_cpu_seconds": round(client_cpu, 2),
        "cpu_seconds_per_session": None
        if cpu is None or not sessions
        else round(cpu / sessions, 3),
        # The server's whole CPU (engine, HTTP, database, state saves) over the
        # certifications it wrote.
        "cpu_seconds_per_certification": None
        if cpu is None or not passed
        else round(cpu / passed, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="2,4,8", help="concurrent sessions")
    parser.add_argument("--seconds", type=float, default=60.0, help="per level")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    parser.add_argument("--p95-budget-ms", type=float, default=500.0)
    parser.add_argument("--max-rejection", type=float, default=0.05)
    parser.add_argument(
        "--database-url",
        default="",
        help="an empty database for the server (default: a fresh SQLite file)",
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]

    if not (shared_dir() / "media").is_dir():
        raise SystemExit(f"clips not found under {shared_dir()} (LIFECERT_SHARED_DIR)")
    man = actors.webcam_man(shared_dir())

    var_dir = Path(tempfile.mkdtemp(prefix="lifecert-bench-"))
    env = server_env(var_dir)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    people = prepare_database(env, max(levels))
    port = free_port()
    server = start_server(env, port, args.workers, args.threads)
    results = []
    try:
        for level in levels:
            result = run_level(port, people, man, level, args.seconds, server.pid)
            results.append(result)
            print(json.dumps(result, ensure_ascii=False), flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(var_dir, ignore_errors=True)

    within = [
        r
        for r in results
        if r["frame_rtt_p95_ms"] <= args.p95_budget_ms
        and (r["genuine_rejection_rate"] or 0.0) <= args.max_rejection
    ]
    best = max(within or results, key=lambda r: r["sessions_per_minute"])
    summary = {
        "benchmark": "pensioner_load",
        "cpus": os.cpu_count(),
        "gunicorn": f"{args.workers} workers x {args.threads} threads",
        "database": (args.database_url or "sqlite").split(":", 1)[0],
        "frame_bytes_avg": int(
            sum(map(len, man.neutral.frames)) / len(man.neutral.frames)
        ),
        "p95_budget_ms": args.p95_budget_ms,
        "max_genuine_rejection": args.max_rejection,
        "sustained_concurrency": best["concurrency"],
        "sessions_per_minute": best["sessions_per_minute"],
        "passed_per_minute": best["passed_per_minute"],
        "frame_rtt_p95_ms": best["frame_rtt_p95_ms"],
        "cpu_seconds_per_session": best["cpu_seconds_per_session"],
        "cpu_seconds_per_certification": best["cpu_seconds_per_certification"],
        "levels": results,
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
