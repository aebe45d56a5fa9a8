"""Prompted blinks of the two blink performers: how many genuine ones are missed.

A server-timed one-blink challenge (hold drawn from 2-8 s, 3.5 s reaction window)
answered by ``faceverify.actors.Responder`` playing each blink performer of
``../shared/media``: reaction drawn from 0.6-2.5 s plus up to 0.3 s of jitter,
latency 50-200 ms each way, frames at the pace the server asks for each phase
(``face_sessions.FRAME_INTERVAL_MS``: 8 a second while an action is asked; a
faster pace asked in an answer takes the next frame at once, as camera.js
does). A blink's closed eyes last one or two such frames, and which
frames catch them depends on when the person began, so each session samples
another phase. Every session is genuine: the goal is 0 rejected.

    .venv/bin/python bench/bench_blinks.py --sessions 50 --seed 2
"""

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faceverify import Challenge, EngineConfig, Verifier, actors, load_engine  # noqa: E402


def frame_interval_ms() -> dict[str, int]:
    """The server's pace by phase (one rule, in the face-session room)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifecert.settings")
    import django

    django.setup()
    from lifecert.certification.face_sessions import FRAME_INTERVAL_MS

    return dict(FRAME_INTERVAL_MS)


PACE = frame_interval_ms()


def shared_dir() -> Path:
    return Path(os.environ.get("LIFECERT_SHARED_DIR", ROOT.parent / "shared"))


def session(engine, performer, ref, rng: random.Random) -> tuple[str, dict]:
    hold = round(rng.uniform(2.0, 8.0), 3)
    reaction = rng.uniform(0.6, 2.5)
    latency = rng.choice([0.05, 0.1, 0.2])
    challenge = Challenge(("blink",), holds=(hold,), reaction_seconds=3.5)
    person = actors.Responder(
        performer, reaction_seconds=reaction, jitter_seconds=0.3, rng=rng
    )
    v = Verifier(engine, challenge, [ref])
    t, step = 0.0, PACE["settle"] / 1000
    while t < 40:
        arrival = t + latency
        v.feed(arrival, person.frame(t), advance=False)
        p = v.advance(arrival)
        person.prompted(p.current_action, arrival + latency)
        if p.finished:
            break
        asked = PACE[p.phase] / 1000
        # camera.js: a faster pace is taken up at once, when the answer arrives.
        t = arrival + latency if asked < step else t + asked
        step = asked
    verdict = v.verdict if v.verdict is not None else v.finish(t)
    about = {"hold": hold, "reaction": round(reaction, 2), "latency": latency}
    return f"{verdict.code}:{verdict.detail or ''}", about


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=50, help="per performer")
    ap.add_argument("--seed", type=int, default=2)
    args = ap.parse_args()
    engine = load_engine(EngineConfig())
    rng = random.Random(args.seed)
    performers = actors.blink_performers(shared_dir())
    refs = {p.name: engine.enrol(p.enrolment).descriptor for p in performers}
    outcomes: Counter[str] = Counter()
    rejected = []
    began = time.process_time()
    for _ in range(args.sessions):
        for performer in performers:
            outcome, about = session(engine, performer, refs[performer.name], rng)
            outcomes[outcome] += 1
            if not outcome.startswith("passed"):
                rejected.append({"who": performer.name, "outcome": outcome, **about})
                print("rejected", rejected[-1], flush=True)
    total = sum(outcomes.values())
    cpu = time.process_time() - began
    print(f"{total} genuine blink sessions, {len(rejected)} rejected; {cpu:.0f} CPU-s")
    for outcome, n in outcomes.most_common():
        print(f"  {outcome:<32} {n}")
    print(
        json.dumps(
            {
                "bench": "blinks",
                "seed": args.seed,
                "sessions": total,
                "rejected": len(rejected),
                "outcomes": dict(outcomes),
            }
        )
    )


if __name__ == "__main__":
    main()
