"""Where a face-frame request's server CPU goes, outside the engine.

In one process, on a fresh SQLite database (or ``--database-url``): a pensioner
enrolled from the webcam man, then ``--sessions`` genuine sessions driven
through Django's whole request path (``django.test.Client`` with CSRF checks
on: every middleware, the session and auth reads, the view, the face-session
room, the engine) on a virtual server clock (time-machine), ``--batch`` frames
per request (or, by default, at the pace each answer asks, as camera.js). CPU is
``time.process_time`` of the request handler alone (the client's multipart
encoding and JSON decoding are left out), split into the engine's share
(``face.run``/``face.finish``) and the rest. ``--stub`` replays the engine's
answers of a first session instead of running it (the request path alone, with
the same states, frames and verdict). ``--seed N`` draws the server's
challenges and holds from ``random.Random(N)`` instead of the system's
randomness (the bench only), so two trees measured back to back see the same
sessions; the frames are also counted by the pace they were captured at
(settle, hold, the action asked). ``--profile N`` prints the N functions
with the most cumulative CPU. The last line is one JSON object.

    .venv/bin/python bench/profile_face_requests.py --sessions 12
    .venv/bin/python bench/profile_face_requests.py --sessions 20 --stub
    .venv/bin/python bench/profile_face_requests.py --sessions 2 --profile 40
"""

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import bench_pensioner_load as load  # noqa: E402

from faceverify import actors  # noqa: E402

START = datetime.datetime(2026, 12, 2, 2, 0, tzinfo=datetime.UTC)


class Meter:
    """CPU of the request handler and of the engine calls inside it."""

    def __init__(self) -> None:
        self.request: list[float] = []
        self.engine = 0.0
        self.frames = 0
        self.queries: list[str] = []
        # Frames and engine CPU by the pace they were captured at: the phase
        # the previous answer gave (settle, hold, act:<action>, done).
        self.by_phase: dict[str, list[float]] = {}

    def count(self, phase: str, frames: int, engine: float) -> None:
        row = self.by_phase.setdefault(phase, [0, 0.0])
        row[0] += frames
        row[1] += engine


class MeasuredHandler:
    """The test client's handler, its CPU measured (and profiled) per request."""

    def __init__(self, inner: Any, meter: Meter, profiler: Any) -> None:
        self.inner, self.meter, self.profiler = inner, meter, profiler

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __call__(self, environ: Any) -> Any:
        from django.db import connection

        def log(execute: Any, sql: str, *args: Any) -> Any:
            self.meter.queries.append(sql)
            return execute(sql, *args)

        began = time.process_time()
        if self.profiler:
            self.profiler.enable()
        try:
            with connection.execute_wrapper(log):
                return self.inner(environ)
        finally:
            if self.profiler:
                self.profiler.disable()
            self.meter.request.append(time.process_time() - began)


def timed_backend(meter: Meter) -> Any:
    from lifecert.certification import face

    class Timed(face.EngineBackend):
        def __init__(self) -> None:
            self.meter = meter
            self.recorded: list[Any] = []
            self.replay: list[Any] | None = None
            self.replayed = 0

        def run(self, *args: Any, **kwargs: Any) -> Any:
            began = time.process_time()
            try:
                if self.replay is not None:
                    self.replayed += 1
                    return self.replay[min(self.replayed, len(self.replay)) - 1]
                step = super().run(*args, **kwargs)
                self.recorded.append(step)
                return step
            finally:
                self.meter.engine += time.process_time() - began

        def finish(self, *args: Any, **kwargs: Any) -> Any:
            began = time.process_time()
            try:
                return super().finish(*args, **kwargs)
            finally:
                self.meter.engine += time.process_time() - began

    return Timed()


def drive(client: Any, actor: Any, meter: Meter, batch: int, latency: float) -> str:
    """One session on a moving clock. ``batch`` > 0: that many frames a
    request at 8 a second, back to back. ``batch`` 0: as camera.js, frames at
    the pace each answer asks, a request at most every ``send_interval_ms``,
    carrying the frames captured since the last (at most ``max_batch_frames``
    within ``max_frame_span_s``); a request arrives
    ``latency`` after it leaves and is answered ``latency`` later."""
    import time_machine

    with time_machine.travel(START, tick=False) as clock:
        headers = {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}
        response = client.post("/personal/certify/sessions/", **headers)
        assert response.status_code == 201, response.content
        start = response.json()
        step = 0.125 if batch else start["frame_interval_ms"] / 1000
        send_every = 0.0 if batch else start["send_interval_ms"] / 1000
        most = batch or int(start["max_batch_frames"])
        span = float(start["max_frame_span_s"])
        t, captured, last_sent = 0.0, 0.0, -send_every
        phase = "settle"
        while t < float(start["session_seconds"]):
            ready = max(captured + (batch - 1) * step, last_sent + send_every)
            clock.shift(ready - t)
            t = last_sent = ready
            due = []
            while captured <= t + 1e-9:
                due.append(captured)
                captured += step
            due = [x for x in due[-most:] if due[-1] - x <= span]
            clock.shift(latency)
            engine_before = meter.engine
            response = _post_batch(client, start["frame_url"], actor, due, headers)
            clock.shift(latency)
            t += 2 * latency
            meter.frames += len(due)
            meter.count(phase, len(due), meter.engine - engine_before)
            body = response.json()
            if response.status_code != 200:
                if body.get("error") in ("no_face", "bad_image"):
                    continue
                return f"frame_{response.status_code}"
            actor.prompted(body.get("current_action"), t)
            phase = body["phase"]
            if phase == "act":
                phase = f"act:{body.get('current_action')}"
            if body["finished"]:
                return str(body["verdict"]["code"])
            if not batch:
                if body["frame_interval_ms"] / 1000 < step:
                    captured = min(captured, t)  # camera.js takes one at once
                step = body["frame_interval_ms"] / 1000
                send_every = body.get("send_interval_ms", send_every * 1000) / 1000
        body = client.post(start["finish_url"], **headers).json()
        return str(body["verdict"]["code"])


def _post_batch(
    client: Any, url: str, actor: Any, times: list[float], headers: dict[str, str]
) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    frames = [actor.frame(x) for x in times]
    if len(frames) == 1:
        return client.post(
            url,
            data=frames[0],
            content_type="image/jpeg",
            HTTP_X_FRAME_TIME=f"{times[0]:.3f}",
            **headers,
        )
    parts = [
        SimpleUploadedFile(f"f{i}.jpg", f, "image/jpeg") for i, f in enumerate(frames)
    ]
    return client.post(
        url, data={"frame": parts, "ts": [f"{x:.3f}" for x in times]}, **headers
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument(
        "--batch",
        type=int,
        default=0,
        help="frames per request at 8 a second; 0: at the pace the server asks",
    )
    parser.add_argument(
        "--latency", type=float, default=0.05, help="each way, seconds (with 0)"
    )
    parser.add_argument("--profile", type=int, default=0, help="top N functions")
    parser.add_argument("--show-queries", type=int, default=0, help="the last N")
    parser.add_argument("--dump", default="", help="write the pstats file here")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key")
    parser.add_argument(
        "--query-log",
        action="store_true",
        help="keep DEBUG's query log (the load bench's gunicorn ran with it)",
    )
    parser.add_argument(
        "--stub",
        action="store_true",
        help="replay the first session's engine answers (no engine CPU): the "
        "request path alone",
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="the server's challenges from random.Random(SEED): the same "
        "sessions in two trees",
    )
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="lifecert-profile-"))
    env = load.server_env(var_dir)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    try:
        people = load.prepare_database(env, 1)
        from django.conf import settings
        from django.test import Client

        from lifecert.certification import face

        if not args.query_log:
            settings.DEBUG = False
        meter = Meter()
        client = Client(enforce_csrf_checks=True)
        profiler = cProfile.Profile() if args.profile else None
        client.handler = MeasuredHandler(client.handler, meter, None)
        _log_in(client, people[0])
        man = actors.webcam_man(load.shared_dir())
        verdicts: dict[str, int] = {}
        backend = timed_backend(meter)
        with face.use_backend(backend):
            # A first session, not measured: imports, URL patterns, caches.
            drive(
                client,
                load.genuine(man, random.Random(-1)),
                meter,
                args.batch,
                args.latency,
            )
            meter = client.handler.meter = backend.meter = Meter()
            client.handler.profiler = profiler
            steps, backend.recorded = backend.recorded, []
            if args.seed is not None:
                drawn = random.Random(args.seed)
                face.random = _Seeded(drawn)  # type: ignore[attr-defined]
            for n in range(args.sessions):
                if args.stub:
                    backend.replay, backend.replayed = steps, 0
                meter_before = len(meter.request)
                actor = load.genuine(man, random.Random(n))
                verdict = drive(client, actor, meter, args.batch, args.latency)
                verdicts[verdict] = verdicts.get(verdict, 0) + 1
                print(
                    f"session {n}: {verdict}, "
                    f"{len(meter.request) - meter_before} requests",
                    flush=True,
                )
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    requests = len(meter.request)
    total = sum(meter.request)
    outside = total - meter.engine
    if args.show_queries:
        for sql in meter.queries[-args.show_queries :]:
            print(sql[:300])
    if profiler and args.dump:
        profiler.dump_stats(args.dump)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(
            args.profile
        )
        print(out.getvalue())
    result = {
        "benchmark": "face_request_profile",
        "database": (args.database_url or "sqlite").split(":", 1)[0],
        "query_log": args.query_log,
        "sessions": args.sessions,
        "verdicts": verdicts,
        "requests": requests,
        "frames": meter.frames,
        "requests_per_session": round(requests / args.sessions, 1),
        "frames_per_session": round(meter.frames / args.sessions, 1),
        "cpu_per_session_s": round(total / args.sessions, 3),
        "cpu_total_s": round(total, 3),
        "cpu_engine_s": round(meter.engine, 3),
        "cpu_outside_engine_per_request_ms": round(outside / requests * 1000, 2),
        "cpu_outside_engine_per_session_s": round(outside / args.sessions, 3),
        "queries_per_request": round(len(meter.queries) / requests, 2),
        "frames_per_session_by_phase": {
            k: round(v[0] / args.sessions, 1) for k, v in sorted(meter.by_phase.items())
        },
        "engine_cpu_per_session_by_phase_s": {
            k: round(v[1] / args.sessions, 3) for k, v in sorted(meter.by_phase.items())
        },
        "cpu_per_request_median_ms": round(statistics.median(meter.request) * 1000, 2),
        "seed": args.seed,
        "profiled": bool(profiler),
        "stub_engine": args.stub,
    }
    print(json.dumps(result, ensure_ascii=False))


class _Seeded:
    """Stands in for the ``random`` module in ``certification.face``: its
    ``SystemRandom()`` is one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def SystemRandom(self) -> random.Random:  # as random's own
        return self.rng


def _log_in(client: Any, person: tuple[str, str]) -> None:
    """The certification login through the form, as a browser does it."""
    import re

    page = client.get("/personal/certify/login/").content
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no csrf token on the login page"
    name, ssn = person
    response = client.post(
        "/personal/certify/login/",
        {"csrfmiddlewaretoken": token.group(1).decode(), "name": name, "ssn": ssn},
    )
    assert response.status_code == 302, response.status_code
    client.get("/personal/certify/")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifecert.settings")
    main()
