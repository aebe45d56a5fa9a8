"""Command line: ``python -m faceverify enrol|verify|bench``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import Challenge, EnrolError, Verifier, load_engine
from .media import read_clip, timed_frames


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    ap = argparse.ArgumentParser(prog="python -m faceverify")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p_en = sub.add_parser("enrol", help="enrol a photo and print a descriptor summary")
    p_en.add_argument("photo")
    p_ve = sub.add_parser("verify", help="verify a clip against an enrolled photo")
    p_ve.add_argument("--enrol", required=True, action="append", help="reference photo")
    p_ve.add_argument(
        "--actions", required=True, help="comma-separated, e.g. blink,turn_left"
    )
    p_ve.add_argument("--step", type=int, default=1, help="use every n-th frame")
    p_ve.add_argument("clip")
    sub.add_parser("bench", help="run bench/bench_face.py")
    args = ap.parse_args(argv)
    engine = load_engine()
    if args.cmd == "enrol":
        try:
            en = engine.enrol(Path(args.photo).read_bytes())
        except EnrolError as e:
            print(
                json.dumps(
                    {"ok": False, "code": e.code, "message": e.message},
                    ensure_ascii=False,
                )
            )
            return 1
        # A summary only: the descriptor itself is personal data.
        print(
            json.dumps({"ok": True, "dims": len(en.descriptor), "quality": en.quality})
        )
        return 0
    if args.cmd == "verify":
        refs = []
        for photo in args.enrol:
            try:
                refs.append(engine.enrol(Path(photo).read_bytes()).descriptor)
            except EnrolError as e:
                print(
                    json.dumps(
                        {"ok": False, "code": e.code, "message": e.message},
                        ensure_ascii=False,
                    )
                )
                return 1
        challenge = Challenge(
            tuple(a.strip() for a in args.actions.split(",") if a.strip())
        )
        verifier = Verifier(engine, challenge, refs)
        frames, fps = read_clip(args.clip)
        last = 0.0
        for t, jpg in timed_frames(frames, fps, step=args.step):
            last = t
            if verifier.feed(t, jpg).finished:
                break
        verdict = verifier.verdict or verifier.finish(last + 1e-3)
        print(json.dumps(verdict.to_dict(), ensure_ascii=False))
        return 0 if verdict.passed else 2
    bench = Path(__file__).resolve().parent.parent / "bench" / "bench_face.py"
    import runpy

    sys.argv = [str(bench)]
    runpy.run_path(str(bench), run_name="__main__")
    return 0
