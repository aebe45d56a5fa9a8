"""Two face engines in one process, their sessions alternated: bench_face's speed
session under the same load for both. Prints a line per engine and frame size and
a final JSON line.

    DEBUG=1 .venv/bin/python bench/bench_face_ab.py --other /path/to/main --repeat 5

``--other`` is another checkout (a worktree of main, say): its ``faceverify``
package is copied to a temporary folder as ``faceverify_other`` (the package
imports itself relatively) and runs beside this checkout's. On cores shared with
other work, two runs taken one after the other see different loads; here each
round runs one session of each engine, the order alternating, and the figures are
each frame's least CPU over the rounds (``face_stages.per_frame_min``), with the
load average before and after.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_face  # noqa: E402
import face_stages  # noqa: E402

import faceverify  # noqa: E402
from faceverify.media import encode_jpeg  # noqa: E402

cv2.setNumThreads(1)


def other_package(checkout: Path, into: Path) -> ModuleType:
    """The other checkout's faceverify, importable beside this one."""
    shutil.copytree(
        checkout / "faceverify",
        into / "faceverify_other",
        ignore=shutil.ignore_patterns("tests", "__pycache__"),
    )
    sys.path.insert(0, str(into))
    return importlib.import_module("faceverify_other")


def session(fv: ModuleType, engine: Any, ref: list[float], timed) -> tuple:
    """One speed session: per-frame CPU seconds and the verdict."""
    challenge = fv.Challenge(("turn_right", "turn_left", "nod"))
    v = fv.Verifier(engine, challenge, [ref])
    per = []
    for t, jpeg in timed:
        t0 = time.process_time()
        p = v.feed(t, jpeg)
        per.append(time.process_time() - t0)
        if p.finished:
            break
    verdict = v.verdict or v.finish(timed[-1][0] + 0.04)
    return per, verdict.code


def figures(runs: list[list[float]], verdict: str, load: list[float]) -> dict:
    per = face_stages.per_frame_min(runs)
    top = sorted(range(len(per)), key=lambda i: -per[i])[:6]
    return {
        "verdict": verdict,
        "frames": len(per),
        "runs": len(runs),
        "ms_p50": round(1000 * float(np.percentile(per, 50)), 2),
        "ms_p95": round(1000 * float(np.percentile(per, 95)), 2),
        "frames_over_8ms": sum(x > 0.008 for x in per),
        "session_cpu_s": round(sum(per), 3),
        "session_cpu_s_each_run": [round(sum(r), 3) for r in runs],
        "slowest_frames_ms": [[i, round(1000 * per[i], 2)] for i in top],
        "load_avg_1min": load,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--other", required=True, help="another checkout's root")
    ap.add_argument("--repeat", type=int, default=5, help="rounds (min per frame)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engines = {
            "other": other_package(Path(args.other).resolve(), Path(tmp)),
            "this": faceverify,
        }
        loaded = {k: fv.load_engine(fv.EngineConfig()) for k, fv in engines.items()}
        src, _ = bench_face.clip("multi_action/webcam_man_talk_turn_nod.mp4", 470, 640)
        raw = [
            cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR) for _, b in src
        ]
        ref_t, _ = bench_face.clip("multi_action/webcam_man_mouth_turn.mp4", 100, 101)
        refs = {k: e.enrol(ref_t[0][1]).descriptor for k, e in loaded.items()}
        out: dict[str, Any] = {}
        for w, h in ((640, 480), (320, 240)):
            frames = [cv2.resize(f, (w, h)) for f in raw][::2]
            timed = [(i * 0.08, encode_jpeg(f)) for i, f in enumerate(frames)]
            runs: dict[str, list[list[float]]] = {k: [] for k in engines}
            verdicts: dict[str, str] = {}
            load = [round(os.getloadavg()[0], 2)]
            for r in range(max(1, args.repeat)):
                order = list(engines) if r % 2 == 0 else list(reversed(engines))
                for k in order:
                    per, verdicts[k] = session(engines[k], loaded[k], refs[k], timed)
                    runs[k].append(per)
            load.append(round(os.getloadavg()[0], 2))
            for k in engines:
                key = f"{k} {w}x{h}"
                out[key] = figures(runs[k], verdicts[k], load)
                print(key, json.dumps(out[key]), flush=True)
        print(json.dumps(out))


if __name__ == "__main__":
    main()
