"""Face engine benchmarks: accuracy, attacks, speed against the straightforward
pipeline, peak memory. Prints its figures; the last line is one JSON object.

    .venv/bin/python bench/bench_face.py        (or: python -m faceverify bench)
    .venv/bin/python bench/bench_face.py --parts speed --repeat 5

The speed part also says where each frame's CPU went (bench/face_stages.py):
decode, detect, landmarks, pose, face figures, chip, descriptor, planar,
aligned crop, continuity, actions, and the verifier's own bookkeeping.

Data: LIFECERT_SHARED_DIR (default ../shared). One core: OpenCV threads are set to 1
and dlib's HOG/landmarks/descriptor run single-threaded.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faceverify import (  # noqa: E402
    Challenge,
    EngineConfig,
    EnrolError,
    Verifier,
    descriptor_distance,
    load_engine,
)
from faceverify.media import encode_jpeg, read_clip, still_motion  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import face_stages  # noqa: E402

cv2.setNumThreads(1)
SHARED = Path(os.environ.get("LIFECERT_SHARED_DIR", ROOT.parent / "shared")).resolve()


def run(engine, challenge, refs, timed):
    v = Verifier(engine, challenge, refs)
    last = 0.0
    for t, b in timed:
        last = t
        if v.feed(t, b).finished:
            break
    return v.verdict or v.finish(last + 0.04)


def accuracy(engine):
    descs, refused = {}, {}
    for p in sorted((SHARED / "faces").glob("*/*")):
        if (
            p.suffix.lower() not in (".jpg", ".jpeg", ".png")
            or p.parent.name == "_group"
        ):
            continue
        try:
            descs[f"{p.parent.name}/{p.name}"] = engine.enrol(p.read_bytes()).descriptor
        except EnrolError as e:
            refused[f"{p.parent.name}/{p.name}"] = e.code
    thr = engine.config.match_threshold
    same, diff = [], []
    for (a, da), (b, db) in itertools.combinations(descs.items(), 2):
        d = descriptor_distance(da, db)
        (same if a.split("/")[0] == b.split("/")[0] else diff).append(d)
    fr = sum(d > thr for d in same)
    fa = sum(d <= thr for d in diff)
    out = {
        "threshold": thr,
        "photos_enrolled": len(descs),
        "photos_refused": refused,
        "same_pairs": len(same),
        "diff_pairs": len(diff),
        "same_min_max": [round(min(same), 3), round(max(same), 3)],
        "diff_min_max": [round(min(diff), 3), round(max(diff), 3)],
        "false_rejects": fr,
        "false_accepts": fa,
        "frr": round(fr / len(same), 4),
        "far": round(fa / len(diff), 4),
    }
    print("accuracy:", json.dumps(out, ensure_ascii=False))
    return out


def clip(rel, start=0, stop=None, size=None):
    frames, fps = read_clip(SHARED / "media" / rel, max_frames=stop)
    frames = frames[start:stop]
    if size:
        frames = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
    return [(i / fps, encode_jpeg(f)) for i, f in enumerate(frames)], frames


def attacks_and_genuine(engine):
    # Genuine: the webcam man enrolled from one recording, clips from the other.
    ref_t, _ = clip("multi_action/webcam_man_mouth_turn.mp4", 100, 101)
    webcam = engine.enrol(ref_t[0][1]).descriptor
    genuine = [
        (
            "head_turn/webcam_man_turn_left_right.mp4",
            ("turn_right", "turn_left"),
            0,
            None,
        ),
        ("nod/webcam_man_nod_down_up.mp4", ("nod",), 0, None),
        ("mouth_open/webcam_man_open_mouth_twice.mp4", ("open_mouth",), 0, None),
        (
            "multi_action/webcam_man_talk_turn_nod.mp4",
            ("turn_right", "turn_left", "nod"),
            470,
            640,
        ),
        (
            "multi_action/webcam_man_mouth_turn.mp4",
            ("open_mouth", "turn_left"),
            380,
            600,
        ),
    ]
    g_results = []
    for rel, acts, a, b in genuine:
        timed, _ = clip(rel, a, b)
        for step in (1, 2, 3):  # 25, 12.5 and ~8 frames per second
            v = run(engine, Challenge(acts), [webcam], timed[::step])
            g_results.append((rel, acts, step, v.code, v.distance))
    for rel in (
        "blink/man_single_blink_greenscreen.mp4",
        "blink/woman_repeated_blinks.mp4",
        "blink/talking_man_natural_blinks.mp4",
    ):
        timed, frames = clip(rel, 0, 240)
        fa = engine.analyse_frame(frames[0])
        ref = engine.descriptor(frames[0], fa.box)
        for step in (1, 2):
            v = run(engine, Challenge(("blink",)), [ref], timed[::step])
            g_results.append((rel, ("blink",), step, v.code, v.distance))
    g_fail = [r for r in g_results if r[3] != "passed"]
    webcam_d = [
        round(r[4], 3) for r in g_results if r[4] is not None and "webcam" in r[0]
    ]
    print(f"genuine sessions: {len(g_results)}, rejected: {len(g_fail)} {g_fail}")
    print(
        f"webcam man cross-recording distances: min {min(webcam_d)} max {max(webcam_d)}"
    )

    stills = [
        "faces/obama/obama.jpg",
        "faces/biden/biden2.jpg",
        "faces/rose_leslie/rose1.jpg",
        "faces/alex_lacamoire/alex1.jpg",
        "faces/kit_harington/kit1.jpeg",
        "media/spoof/print_photo_attack.jpg",
        "media/spoof/screen_replay_attack.jpg",
        "media/spoof/live_real_face.jpg",
    ]
    multi = [
        ("blink", "turn_left"),
        ("open_mouth", "nod"),
        ("turn_right", "blink", "nod"),
        ("nod", "turn_left"),
        ("open_mouth", "turn_right", "blink"),
    ]
    single = [(a,) for a in ("blink", "open_mouth", "turn_left", "turn_right", "nod")]
    acc_multi = acc_single = n_multi = n_single = 0
    accepted = []
    for rel in stills:
        img = cv2.imread(str(SHARED / rel))
        for kind in ("static", "pan", "zoom", "rotate", "tilt"):
            frames = still_motion(img, kind, seconds=5.0, fps=10.0)
            timed = [(i / 10.0, encode_jpeg(f)) for i, f in enumerate(frames)]
            fa = engine.analyse_frame(frames[0])
            if not fa.has_face:
                continue
            ref = engine.descriptor(
                frames[0], fa.box
            )  # the attacker's photo IS the reference
            for acts in multi:
                n_multi += 1
                if run(engine, Challenge(acts), [ref], timed).passed:
                    acc_multi += 1
                    accepted.append((rel, kind, acts))
            for acts in single:
                n_single += 1
                if run(engine, Challenge(acts), [ref], timed).passed:
                    acc_single += 1
                    accepted.append((rel, kind, acts))
    # Another person's live clip against an enrolment, and face swaps.
    other = 0
    n_other = 0
    enrolled = {}
    for who in (
        "obama/obama.jpg",
        "biden/biden2.jpg",
        "rose_leslie/rose1.jpg",
        "kit_harington/kit1.jpeg",
    ):
        enrolled[who] = engine.enrol((SHARED / "faces" / who).read_bytes()).descriptor
    for rel, acts, a, b in genuine:
        timed, _ = clip(rel, a, b)
        for d in enrolled.values():
            n_other += 1
            other += run(engine, Challenge(acts), [d], timed).passed
    a_t, _ = clip("head_turn/webcam_man_turn_left_right.mp4")
    _, wf = clip("blink/woman_repeated_blinks.mp4", 0, 240, size=(400, 300))
    swap = a_t + [
        (a_t[-1][0] + (i + 1) / 30.0, encode_jpeg(f)) for i, f in enumerate(wf)
    ]
    v_swap = run(engine, Challenge(("turn_right", "blink")), [webcam], swap)
    out = {
        "genuine_sessions": len(g_results),
        "genuine_rejected": len(g_fail),
        "genuine_rejection_rate": round(len(g_fail) / len(g_results), 4),
        "webcam_cross_recording_distance": [min(webcam_d), max(webcam_d)],
        "still_attacks_multi_action": n_multi,
        "still_attacks_multi_accepted": acc_multi,
        "still_attacks_single_action": n_single,
        "still_attacks_single_accepted": acc_single,
        "other_person_sessions": n_other,
        "other_person_accepted": other,
        "swap_verdict": v_swap.code,
        "accepted_attacks": [f"{r} {k} {'+'.join(a)}" for r, k, a in accepted],
    }
    print("attacks:", json.dumps(out, ensure_ascii=False))
    return out


def speed(engine, repeat=1):
    """Per-frame CPU of a genuine 3-action session at 640x480 and 320x240.

    ``repeat`` runs of the same session: the figures are each frame's least CPU
    over the runs (face_stages.per_frame_min: on a shared machine other work only
    adds to a frame's time); each run's session CPU is shown as well. One more run
    under the stage clock says which stage every frame over 8 ms spent its time on.
    """
    out = {}
    src, _ = clip("multi_action/webcam_man_talk_turn_nod.mp4", 470, 640)
    raw = [cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR) for _, b in src]
    ref_t, _ = clip("multi_action/webcam_man_mouth_turn.mp4", 100, 101)
    webcam = engine.enrol(ref_t[0][1]).descriptor
    costs = face_stages.model_costs(engine, cv2.cvtColor(raw[0], cv2.COLOR_BGR2GRAY))
    print("one call of each model, ms:", json.dumps(costs))
    out["model_ms"] = costs
    for w, h in ((640, 480), (320, 240)):
        frames = [cv2.resize(f, (w, h)) for f in raw][::2]  # 85 frames, 12.5 fps
        timed = [(i * 0.08, encode_jpeg(f)) for i, f in enumerate(frames)]
        runs, sessions = [], []
        # Other work on the shared cores shows in every figure: say how busy.
        load_before = round(os.getloadavg()[0], 2)
        for _ in range(max(1, repeat)):
            v, per_run, _stages, verdict = face_stages.session(engine, timed, webcam)
            runs.append(per_run)
            sessions.append(round(sum(per_run), 3))
        per = face_stages.per_frame_min(runs)
        ours_cpu = sum(per)
        with face_stages.StageClock(engine) as clock:
            _v, _p, stages, _verdict = face_stages.session(engine, timed, webcam, clock)
        staged = face_stages.summary(stages)
        n = len(per)
        # The straightforward pipeline on the same frames.
        t_b = time.process_time()
        base = face_stages.naive_frames(engine, timed[:n], small=w < 640)
        base_cpu = time.process_time() - t_b
        key = f"{w}x{h}"
        out[key] = {
            "frames": n,
            "verdict": verdict,
            "runs": len(runs),
            "ours_ms_p50": round(1000 * float(np.percentile(per, 50)), 2),
            "ours_ms_p95": round(1000 * float(np.percentile(per, 95)), 2),
            "ours_ms_max": round(1000 * max(per), 2),
            "ours_frames_over_8ms": sum(x > 0.008 for x in per),
            "ours_descriptors": len(v.state["identity"]["descs"]),
            "ours_session_cpu_s": round(ours_cpu, 3),
            "ours_session_cpu_s_each_run": sessions,
            "naive_ms_p50": round(1000 * float(np.percentile(base, 50)), 2),
            "naive_ms_p95": round(1000 * float(np.percentile(base, 95)), 2),
            "naive_session_cpu_s": round(base_cpu, 3),
            "speedup": round(base_cpu / ours_cpu, 1),
            "load_avg_1min": [load_before, round(os.getloadavg()[0], 2)],
            "stages": staged,
        }
        print(
            f"speed {key}:",
            json.dumps({k: v for k, v in out[key].items() if k != "stages"}),
        )
        print(
            f"  stages {key} (one run, ms per session):", json.dumps(staged["stage_ms"])
        )
        for f in staged["over_limit"]:
            parts = json.dumps(f["stages_ms"])
            print(f"  over 8 ms: frame {f['frame']} {f['ms']} ms {parts}")
    return out


def low_light(engine):
    """Dim rooms: genuine sessions and still attacks at a fraction of the light.

    Frames are darkened (x factor) with Gaussian sensor noise (fixed seed), as a
    cheap webcam gives them in a dim room; genuine sessions are run with the
    engine's low-light lift and without it (``low_light_mean=0``) in this run.
    """
    plain = load_engine(EngineConfig(low_light_mean=0.0))
    ref_t, _ = clip("multi_action/webcam_man_mouth_turn.mp4", 100, 101)
    webcam = engine.enrol(ref_t[0][1]).descriptor
    cases = [
        ("head_turn/webcam_man_turn_left_right.mp4", ("turn_right", "turn_left")),
        ("nod/webcam_man_nod_down_up.mp4", ("nod",)),
        ("mouth_open/webcam_man_open_mouth_twice.mp4", ("open_mouth",)),
    ]

    def darken(frames, factor, seed):
        rng = np.random.default_rng(seed)
        out = []
        for f in frames:
            dark = f.astype(np.float32) * factor + rng.normal(0, 5, f.shape)
            out.append(encode_jpeg(np.clip(dark, 0, 255).astype(np.uint8)))
        return out

    result = {}
    for factor in (0.45, 0.3, 0.22, 0.15):
        passed = {"lift": 0, "plain": 0}
        sessions = 0
        for rel, acts in cases:
            frames, fps = read_clip(SHARED / "media" / rel)
            timed = [(i / fps, b) for i, b in enumerate(darken(frames, factor, 11))]
            sessions += 1
            for name, eng in (("lift", engine), ("plain", plain)):
                v = run(eng, Challenge(acts), [webcam], timed)
                passed[name] += v.code == "passed"
        result[str(factor)] = {"sessions": sessions, **passed}
        print(
            f"dim x{factor}: genuine passed {passed['lift']}/{sessions} with the lift,"
            f" {passed['plain']}/{sessions} without"
        )
    accepted = 0
    tried = 0
    for rel in (
        "faces/obama/obama.jpg",
        "faces/rose_leslie/rose1.jpg",
        "media/spoof/print_photo_attack.jpg",
        "media/spoof/live_real_face.jpg",
    ):
        img = cv2.imread(str(SHARED / rel))
        for kind in ("static", "pan", "tilt"):
            frames = still_motion(img, kind, seconds=5.0, fps=10.0)
            fa = engine.analyse_frame(frames[0])
            if fa.box is None:
                continue
            ref = engine.descriptor(frames[0], fa.box)
            timed = [(i / 10.0, b) for i, b in enumerate(darken(frames, 0.22, 5))]
            for acts in (("blink", "turn_left"), ("open_mouth", "nod"), ("blink",)):
                tried += 1
                accepted += run(engine, Challenge(acts), [ref], timed).code == "passed"
    print(f"dim x0.22 still attacks: {accepted} of {tried} accepted")
    result["still_attacks"] = tried
    result["still_attacks_accepted"] = accepted
    return result


def peak_rss_mb() -> float:
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r});"
        "import numpy as np, cv2; from faceverify import load_engine;"
        "e = load_engine(); e.analyse_frame(np.zeros((480, 640, 3), np.uint8));"
        f"img = cv2.imread({str(SHARED / 'faces/obama/obama.jpg')!r});"
        "fa = e.analyse_frame(img); e.descriptor(img, fa.box);"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent
        # (this big bench process), which inflated the figure to ~445 MB.
        "st = open('/proc/self/status').read().split('VmHWM:')[1];"
        "print(st.split()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return round(int(out.stdout.strip()) / 1024, 1)


PARTS = ("accuracy", "speed", "rss", "attacks", "low_light")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated, of {PARTS}"
    )
    ap.add_argument(
        "--repeat", type=int, default=1, help="runs of the speed session (min/frame)"
    )
    args = ap.parse_args()
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    t0 = time.time()
    engine = load_engine(EngineConfig())
    result = {}
    if "accuracy" in parts:
        result["accuracy"] = accuracy(engine)
    if "speed" in parts:
        result["speed"] = speed(engine, args.repeat)
    if "rss" in parts:
        rss = peak_rss_mb()
        print(f"peak RSS with models loaded, one frame and one descriptor: {rss} MB")
        result["peak_rss_mb"] = rss
    if "attacks" in parts:
        result["attacks"] = attacks_and_genuine(engine)
    if "low_light" in parts:
        result["low_light"] = low_light(engine)
    result["bench_wall_s"] = round(time.time() - t0, 1)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
