"""Replay benchmark: recorded videos must not pass face certification; people must.

It starts gunicorn on loopback with a fresh SQLite database in a temporary folder
(the helpers of ``bench_pensioner_load.py``), creates pensioners enrolled from
the people of ``../shared/media`` (``faceverify.actors``), and runs simulated
browsers through the HTTP API as ``static/js/camera.js`` does (certification
login, camera page for the CSRF cookie, ``POST /personal/certify/sessions/``,
frames to ``frame_url``: one raw JPEG with ``X-Frame-Time``, or the frames
captured meanwhile as multipart ``frame``/``ts``). Replay attempts, by kind:

* ``backdated``: a recording of the asked actions (turn_right, nod) posted at
  once in batches, claiming frame times 0.00 to 9.20 s;
* ``realtime_fixed``: that recording played in real time at 8 frames a
  second, whatever the prompts, the challenge fixed to what it shows;
* ``realtime_random``: a recording of all four of the man's actions, played
  in real time, random challenges;
* ``retimed_fixed`` / ``retimed_random``: a genuine session is watched (the
  ``probe``: when each action was prompted, learnt from the frame responses'
  ``current_action`` only), then a recording plays the same actions at the same
  offsets from the session start (``faceverify.actors.RetimedRecording``);
* ``talking_blink`` / ``talking_random``: the talking heads of media/talking/,
  each enrolled from one of its own frames, looped in real time, under a blink
  challenge (their natural blinks) and under random challenges.

Genuine sessions (``genuine_webcam``: the webcam man, turn_right + nod, some
with an elderly 2 s reaction; ``genuine_blink``: the two blink performers)
respond to the prompts (``faceverify.actors.Responder``). Goals: no replay
passes under production settings (``--attempts``: backdated, realtime_random,
retimed_random, talking_random, random challenges), no genuine session rejected.
The kinds that know the challenge in advance (``--known``: realtime_fixed,
retimed_fixed, talking_blink) use the test hook ``FACE_FIXED_CHALLENGE``, which
production refuses: they show what the prompt timing alone does, and are
reported apart. Fixed challenges are server-wide, so the kinds run in three
phases, one server each, on the same database. The last printed line is one
JSON object.

    .venv/bin/python bench/bench_replay.py --attempts 8 --known 4 --genuine 4
    .venv/bin/python bench/bench_replay.py                # 200 + 40 known + 40
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_pensioner_load as load  # a sibling script, not a package

ROOT = load.ROOT
sys.path.insert(0, str(ROOT))
from faceverify import actors  # noqa: E402

FPS = 8.0  # camera.js FRAME_INTERVAL_MS = 125
FIXED = "turn_right,nod"
BACKDATED_SECONDS = 9.2
TALKING_ENROL_FRAME = 10

PHASES = {
    # phase: (FACE_FIXED_CHALLENGE, replay kinds, genuine kinds)
    # Production settings: a random challenge the replay cannot know.
    "random": (
        "",
        ["backdated", "realtime_random", "retimed_random", "talking_random"],
        ["genuine_webcam"],
    ),
    # The worst case, with the challenge known in advance (the test hook
    # FACE_FIXED_CHALLENGE, refused in production): what the timing alone does.
    "fixed": (FIXED, ["realtime_fixed", "retimed_fixed"], ["genuine_webcam"]),
    "blink": ("blink", ["talking_blink"], ["genuine_blink"]),
}
PRODUCTION = PHASES["random"][1]
KNOWN = [k for p, (_c, kinds, _g) in PHASES.items() if p != "random" for k in kinds]
REPLAYS = PRODUCTION + KNOWN
GENUINE = sorted({k for _c, _k, kinds in PHASES.values() for k in kinds})


# ---------------------------------------------------------------- people


@dataclass
class Cast:
    """The performers and their enrolled pensioners (a pool per identity)."""

    webcam: actors.Performer
    blinkers: list[actors.Performer]
    talking: dict[str, actors.Footage]  # identity -> the whole clip
    pools: dict[str, queue.Queue[tuple[str, str]]] = field(default_factory=dict)


def load_cast(shared: Path) -> tuple[Cast, dict[str, bytes]]:
    """The performers, and one enrolment photo per identity."""
    media = shared / "media"
    webcam = actors.webcam_man(shared)
    blinkers = actors.blink_performers(shared)
    photos = {webcam.name: webcam.enrolment}
    photos.update({p.name: p.enrolment for p in blinkers})
    talking = {}
    for clip in actors.TALKING_HEADS:
        name = Path(clip).stem
        talking[name] = actors.clip_footage(media, clip)
        frame = actors.clip_footage(
            media, clip, TALKING_ENROL_FRAME, TALKING_ENROL_FRAME + 1, 640, 95
        )
        photos[name] = frame.frames[0]
    return Cast(webcam, blinkers, talking), photos


def enrol_people(
    env: dict[str, str], photos: dict[str, bytes], per_identity: int
) -> dict[str, list[tuple[str, str]]]:
    """Migrate (``bench_pensioner_load.prepare_database``) and create
    ``per_identity`` pensioners per photo, enrolled from it."""
    load.prepare_database(env, 0)
    from lifecert.certification.enrolment import enrol_photo
    from lifecert.certification.models import FaceTemplate
    from lifecert.demo import testing

    region = testing.make_region("440100")
    people: dict[str, list[tuple[str, str]]] = {}
    for i, (identity, photo) in enumerate(photos.items()):
        template = None
        people[identity] = []
        for n in range(per_identity):
            person = testing.make_person(name=f"回放{i}之{n}")
            testing.make_entitlement(person=person, region=region)
            if template is None:
                template = enrol_photo(
                    person=person,
                    photo=photo,
                    content_type="image/jpeg",
                    acting_user=None,
                )
                if template.status != "ready":
                    raise SystemExit(f"{identity}: {template.failure_reason}")
            else:
                FaceTemplate.objects.create(
                    person=person,
                    photo=photo,
                    descriptor=template.descriptor,
                    status=FaceTemplate.Status.READY,
                )
            people[identity].append((person.name, person.ssn))
    return people


# ---------------------------------------------------------------- one session


def backdated_session(browser: load.Browser, recording: actors.Footage) -> load.Outcome:
    """The whole recording sent at once, claiming 0.00-9.20 s frame times."""
    status, session = load._start(browser)
    if status != 201:
        return load.Outcome(f"start_{status}")
    most = int(session.get("max_batch_frames", load.MAX_BATCH))
    count = round(BACKDATED_SECONDS * FPS) + 1
    frames = [
        (recording.at(k / FPS), k * BACKDATED_SECONDS / (count - 1))
        for k in range(count)
    ]
    started = time.monotonic()
    out = load.Outcome("unfinished")
    for i in range(0, len(frames), most):
        status, progress = load._post_frames(
            browser, session["frame_url"], frames[i : i + most]
        )
        out.frames += len(frames[i : i + most])
        if status != 200:
            if status == 409 or progress.get("error") in ("bad_image", "no_face"):
                continue
            out.verdict = f"frame_{status}"
            break
        if progress.get("finished"):
            out.verdict = progress["verdict"]["code"]
            break
    else:
        out.verdict = load._finish(browser, session)
    out.seconds = time.monotonic() - started
    return out


# ---------------------------------------------------------------- the kinds


def scripted(cast: Cast, actions: list[str], gap: float = 2.5) -> actors.Footage:
    """A recording of the man doing ``actions`` one after another from 1.5 s."""
    script = [(1.5 + i * gap, a) for i, a in enumerate(actions)]
    seconds = 1.5 + len(actions) * gap + 2.0
    return actors.Recording.scripted(cast.webcam, script, seconds=seconds).footage


def run_kind(
    kind: str, n: int, cast: Cast, browser: load.Browser, rng: random.Random
) -> list[tuple[str, load.Outcome]]:
    """One attempt of ``kind`` (``n``-th); returns (kind, outcome) pairs (a
    re-timed attack also returns its probe)."""
    man = cast.webcam
    if kind == "backdated":
        return [
            (kind, backdated_session(browser, scripted(cast, ["turn_right", "nod"])))
        ]
    if kind == "realtime_fixed":
        video = scripted(cast, ["turn_right", "nod"])
        offset = rng.uniform(0.0, 1.0)
        return [
            (
                kind,
                load.live_session(
                    browser, lambda: actors.Recording(video, start=-offset)
                ),
            )
        ]
    if kind == "realtime_random":
        acts = list(man.actions)
        rng.shuffle(acts)
        video = scripted(cast, acts)
        return [(kind, load.live_session(browser, lambda: actors.Recording(video)))]
    if kind.startswith("retimed_"):
        probe = load.live_session(browser, lambda: load.genuine(man, rng))
        seen = list(probe.prompts)
        replay = load.live_session(
            browser, lambda: actors.RetimedRecording(man, seen, start=0.0)
        )
        return [(f"{kind}_probe", probe), (kind, replay)]
    if kind.startswith("talking_"):
        name = sorted(cast.talking)[n % len(cast.talking)]
        video = cast.talking[name]
        offset = rng.uniform(0.0, video.seconds)
        return [
            (
                kind,
                load.live_session(
                    browser, lambda: actors.Recording(video, start=-offset, loop=True)
                ),
            )
        ]
    if kind == "genuine_webcam":
        return [(kind, load.live_session(browser, lambda: load.genuine(man, rng)))]
    if kind == "genuine_blink":
        performer = cast.blinkers[n % len(cast.blinkers)]
        return [
            (kind, load.live_session(browser, lambda: load.genuine(performer, rng)))
        ]
    raise ValueError(kind)


def identity(kind: str, n: int, cast: Cast) -> str:
    if kind.startswith("talking_"):
        return sorted(cast.talking)[n % len(cast.talking)]
    if kind == "genuine_blink":
        return cast.blinkers[n % len(cast.blinkers)].name
    return cast.webcam.name


# ---------------------------------------------------------------- running


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[tuple[str, load.Outcome]] = []
        self.skipped: dict[str, int] = {}

    def add(self, rows: list[tuple[str, load.Outcome]]) -> None:
        with self.lock:
            self.rows += rows
            for kind, out in rows:
                print(
                    f"  {kind:<22} {out.verdict:<16} {out.seconds:5.1f} s "
                    f"{out.frames:4d} frames  prompts {[a for _t, a in out.prompts]}",
                    flush=True,
                )

    def skip(self, kind: str) -> None:
        with self.lock:
            self.skipped[kind] = self.skipped.get(kind, 0) + 1

    def by_kind(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for kind, o in self.rows:
            verdicts = out.setdefault(kind, {})
            verdicts[o.verdict] = verdicts.get(o.verdict, 0) + 1
        return out


def split(total: int, kinds: list[str]) -> dict[str, int]:
    return {
        k: total // len(kinds) + (i < total % len(kinds)) for i, k in enumerate(kinds)
    }


def run_phase(
    port: int,
    cast: Cast,
    tasks: list[tuple[str, int]],
    concurrency: int,
    deadline: float,
    results: Results,
    seed: int,
) -> None:
    def one(task: tuple[str, int]) -> None:
        kind, n = task
        if time.monotonic() > deadline:
            results.skip(kind)
            return
        pool = cast.pools[identity(kind, n, cast)]
        person = pool.get()
        try:
            browser = load.Browser("127.0.0.1", port)
            load.login(browser, *person)
            rng = random.Random(f"{seed}:{kind}:{n}")
            results.add(run_kind(kind, n, cast, browser, rng))
        except Exception as exc:  # one broken attempt is reported, not the run
            results.add([(kind, load.Outcome(f"error_{type(exc).__name__}"))])
        finally:
            pool.put(person)

    with ThreadPoolExecutor(concurrency) as executor:
        list(executor.map(one, tasks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--attempts", type=int, default=200, help="replays, production settings"
    )
    parser.add_argument(
        "--known", type=int, default=40, help="replays knowing the challenge"
    )
    parser.add_argument("--genuine", type=int, default=40, help="genuine sessions")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="time cap")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phases", default=",".join(PHASES))
    args = parser.parse_args()
    phases = [p for p in args.phases.split(",") if p]

    shared = load.shared_dir()
    if not (shared / "media").is_dir():
        raise SystemExit(f"media not found under {shared} (set LIFECERT_SHARED_DIR)")
    began = time.monotonic()
    deadline = began + args.max_seconds
    cast, photos = load_cast(shared)
    chosen = [k for p in phases for k in PHASES[p][1]]
    replays = split(args.attempts, [k for k in chosen if k in PRODUCTION])
    replays.update(split(args.known, [k for k in chosen if k in KNOWN]))
    genuines = split(args.genuine, [k for p in phases for k in PHASES[p][2]] or ["-"])

    var_dir = Path(tempfile.mkdtemp(prefix="lifecert-replay-"))
    env = load.server_env(var_dir)
    env.update(
        {"FACE_MAX_FAILURES_PER_DAY": "1000000", "FACE_MAX_STARTS_PER_DAY": "1000000"}
    )
    people = enrol_people(env, photos, args.concurrency + 1)
    for name, persons in people.items():
        cast.pools[name] = queue.Queue()
        for person in persons:
            cast.pools[name].put(person)
    print(f"enrolled {sum(map(len, people.values()))} pensioners", flush=True)

    results = Results()
    try:
        for phase in phases:
            challenge, replay_kinds, genuine_kinds = PHASES[phase]
            tasks = [(k, n) for k in replay_kinds for n in range(replays.get(k, 0))]
            tasks += [(k, n) for k in genuine_kinds for n in range(genuines.get(k, 0))]
            random.Random(args.seed).shuffle(tasks)
            if not tasks:
                continue
            phase_env = dict(env, FACE_FIXED_CHALLENGE=challenge)
            port = load.free_port()
            server = load.start_server(phase_env, port, args.workers, args.threads)
            print(f"phase {phase}: challenge {challenge or 'random'}, "
                  f"{len(tasks)} sessions", flush=True)  # fmt: skip
            try:
                run_phase(
                    port, cast, tasks, args.concurrency, deadline, results, args.seed
                )
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)

    by_kind = results.by_kind()

    def tally(kinds: list[str]) -> tuple[dict[str, int], int]:
        passes = {k: by_kind[k].get("passed", 0) for k in kinds if k in by_kind}
        return passes, sum(sum(by_kind[k].values()) for k in passes)

    passes, attempts = tally(PRODUCTION)
    known, known_attempts = tally(KNOWN)
    genuine_rows = [o for k, o in results.rows if k in GENUINE or k.endswith("_probe")]
    # A random-challenge probe may ask for an action the man cannot do (blink):
    # not a genuine rejection.
    able = [
        o
        for k, o in results.rows
        if k in GENUINE
        or (k == "retimed_fixed_probe")
        or (
            k == "retimed_random_probe"
            and all(cast.webcam.can(a) for _t, a in o.prompts)
        )
    ]
    rejected = [o for o in able if o.verdict != "passed"]
    print()
    for kind, verdicts in sorted(by_kind.items()):
        total = sum(verdicts.values())
        print(f"{kind:<22} {total:4d} sessions  {verdicts}")
    print(f"replay passes, production settings (goal 0): {sum(passes.values())} "
          f"of {attempts}  {passes}")  # fmt: skip
    print(f"replay passes knowing the challenge (test hook): {sum(known.values())} "
          f"of {known_attempts}  {known}")  # fmt: skip
    print(f"genuine rejected (goal 0): {len(rejected)} of {len(able)}")
    summary = {
        "benchmark": "replay",
        "cpus": os.cpu_count(),
        "concurrency": args.concurrency,
        "fps": FPS,
        "wall_seconds": round(time.monotonic() - began, 1),
        "replay_attempts": attempts,
        "replay_passes": sum(passes.values()),
        "replay_passes_by_kind": passes,
        "known_challenge_attempts": known_attempts,
        "known_challenge_passes": sum(known.values()),
        "known_challenge_passes_by_kind": known,
        "genuine_sessions": len(able),
        "genuine_rejected": len(rejected),
        "genuine_rejected_verdicts": sorted(o.verdict for o in rejected),
        "genuine_seconds_median": round(
            sorted(o.seconds for o in able)[len(able) // 2], 1
        )
        if able
        else None,
        "other_sessions": len(genuine_rows) - len(able),
        "skipped_by_time_cap": results.skipped,
        "verdicts_by_kind": by_kind,
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
