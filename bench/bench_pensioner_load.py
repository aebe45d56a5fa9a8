"""Load benchmark: N concurrent face-certification sessions against a real server.

It starts gunicorn on loopback with a fresh SQLite database in a temporary folder
(or uses ``--url`` of a server you started, whose database must hold the bench
persons), creates pensioners enrolled from a frame of the webcam man, and runs
N simulated browsers at once. Each one does what ``static/js/camera.js`` does:
certification login, the camera page (CSRF cookie), ``POST`` a session, then
480x360 JPEG frames of a real clip captured at ``--fps`` a second (8 by
default, as the browser), one request at a time carrying the frames captured
while the previous one was under way, until the server decides; then it starts
the next session.

Reported per concurrency level: completed sessions per minute, request
round-trip p50/p95 (``frame_rtt``), frames per request, verdicts, and the
server's CPU-seconds per session (utime+stime of gunicorn's processes from
/proc). The last printed line is one JSON object.

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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# As in the browser test: the webcam man talks facing the camera for 4 s, turns
# to his right (frames 491-508) and nods (561-623); enrolled from a frame of
# another recording. Each simulated user starts 0-3 s into the clip, facing the
# camera, as a real user does when the session opens.
CLIP = "media/multi_action/webcam_man_talk_turn_nod.mp4"
CLIP_FRAMES = (380, 640)
ENROL_CLIP = "media/multi_action/webcam_man_mouth_turn.mp4"
CHALLENGE = "turn_right,nod"
CLIP_FPS = 25.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def shared_dir() -> Path:
    return Path(os.environ.get("LIFECERT_SHARED_DIR", ROOT.parent / "shared"))


def clip_frames(path: Path, size: tuple[int, int], quality: int) -> list[bytes]:
    import cv2

    capture = cv2.VideoCapture(str(path))
    frames = []
    index = -1
    while True:
        ok, image = capture.read()
        index += 1
        if not ok or index > CLIP_FRAMES[1]:
            break
        if index < CLIP_FRAMES[0]:
            continue
        image = cv2.resize(image, size)
        frames.append(
            cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[
                1
            ].tobytes()
        )
    return frames


def frame_at(path: Path, index: int) -> bytes:
    import cv2

    capture = cv2.VideoCapture(str(path))
    for _ in range(index + 1):
        _ok, image = capture.read()
    return cv2.imencode(".jpg", image)[1].tobytes()


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
            "FACE_FIXED_CHALLENGE": CHALLENGE,
            "FACE_MAX_FAILURES_PER_DAY": "1000000",
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
    from lifecert.core import testing

    region = testing.make_region("440100")
    photo = frame_at(shared_dir() / ENROL_CLIP, 100)
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

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        all_headers = dict(headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(
                f"{k}={v}" for k, v in self.cookies.items()
            )
        all_headers["Referer"] = f"http://127.0.0.1:{self.conn.port}/"
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
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


def one_session(
    browser: Browser, frames: list[bytes], fps: float, stats: "Stats"
) -> str:
    """As camera.js: frames captured at ``fps``; each request carries those
    captured while the previous one was under way (the newest MAX_BATCH)."""
    status, body = browser.request(
        "POST", "/personal/certify/sessions/", b"", {"X-CSRFToken": browser.csrf()}
    )
    if status != 201:
        stats.errors += 1
        return f"start_{status}"
    session = json.loads(body)
    started = time.monotonic()
    phase = random.random() * 3.0
    captured = 0  # capture k happens at k / fps
    while True:
        elapsed = time.monotonic() - started
        available = int(elapsed * fps) + 1
        if available <= captured:  # the next capture is not due yet
            time.sleep(captured / fps - elapsed)
            continue
        batch = [
            (frames[int((phase + k / fps) * CLIP_FPS) % len(frames)], k / fps)
            for k in range(max(captured, available - MAX_BATCH), available)
        ]
        captured = available
        headers = {"X-CSRFToken": browser.csrf()}
        if len(batch) == 1:
            payload = batch[0][0]
            headers.update({"Content-Type": "image/jpeg"})
            headers["X-Frame-Time"] = f"{batch[0][1]:.3f}"
        else:
            payload, headers["Content-Type"] = _multipart(batch)
        began = time.monotonic()
        status, body = browser.request("POST", session["frame_url"], payload, headers)
        stats.add_frame(time.monotonic() - began, len(batch))
        if status == 409:
            continue
        if status != 200:
            stats.errors += 1
            return f"frame_{status}"
        progress = json.loads(body)
        if progress.get("finished"):
            return progress["verdict"]["code"]


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.round_trips: list[float] = []  # one per request
        self.frames = 0
        self.verdicts: dict[str, int] = {}
        self.session_seconds: list[float] = []
        self.errors = 0

    def add_frame(self, seconds: float, frames: int) -> None:
        with self.lock:
            self.round_trips.append(seconds)
            self.frames += frames

    def add_session(self, verdict: str, seconds: float) -> None:
        with self.lock:
            self.verdicts[verdict] = self.verdicts.get(verdict, 0) + 1
            self.session_seconds.append(seconds)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run_level(
    port: int,
    people: list[tuple[str, str]],
    frames: list[bytes],
    concurrency: int,
    seconds: float,
    fps: float,
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
        while time.monotonic() < stop_at:
            began = time.monotonic()
            verdict = one_session(browser, frames, fps, stats)
            stats.add_session(verdict, time.monotonic() - began)

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
        "server_cpu_seconds": None if cpu is None else round(cpu, 2),
        "load_generator_cpu_seconds": round(client_cpu, 2),
        "cpu_seconds_per_session": None
        if cpu is None or not sessions
        else round(cpu / sessions, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="2,4,8", help="concurrent sessions")
    parser.add_argument("--seconds", type=float, default=60.0, help="per level")
    parser.add_argument("--fps", type=float, default=8.0, help="frames a second")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    parser.add_argument("--width", type=int, default=480)
    parser.add_argument("--p95-budget-ms", type=float, default=500.0)
    parser.add_argument("--max-rejection", type=float, default=0.05)
    parser.add_argument(
        "--database-url",
        default="",
        help="an empty database for the server (default: a fresh SQLite file)",
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]

    clip = shared_dir() / CLIP
    if not clip.exists():
        raise SystemExit(f"clip not found: {clip} (set LIFECERT_SHARED_DIR)")
    size = (args.width, args.width * 3 // 4)
    frames = clip_frames(clip, size, 80)

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
            result = run_level(
                port, people, frames, level, args.seconds, args.fps, server.pid
            )
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
        "fps": args.fps,
        "frame_size": f"{size[0]}x{size[1]}",
        "frame_bytes_avg": int(sum(map(len, frames)) / len(frames)),
        "p95_budget_ms": args.p95_budget_ms,
        "max_genuine_rejection": args.max_rejection,
        "sustained_concurrency": best["concurrency"],
        "sessions_per_minute": best["sessions_per_minute"],
        "passed_per_minute": best["passed_per_minute"],
        "frame_rtt_p95_ms": best["frame_rtt_p95_ms"],
        "cpu_seconds_per_session": best["cpu_seconds_per_session"],
        "levels": results,
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
