"""Where a face session's CPU goes, frame by frame: a stage clock for the benches.

``StageClock`` wraps the engine's calls for the length of a ``with`` block and
counts each call's *exclusive* CPU time (``time.process_time``, minus the time of
the wrapped calls inside it) under its stage; what no wrapped call accounts for is
``verifier`` (the orchestration, the state, the action rules). It only measures:
the wrappers call the originals with the same arguments and are removed on exit.

    with StageClock(engine) as clock:
        for t, jpeg in frames:
            clock.start()
            v.feed(t, jpeg)
            clock.stop()          # -> {"decode": 0.0004, "landmarks": 0.002, ...}
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import cv2
import dlib
import numpy as np

from faceverify import Challenge, Verifier, actions, identity, replay
from faceverify import geometry as geo
from faceverify import verifier as verifier_module


def _targets(engine: Any) -> list[tuple[Any, str, str]]:
    """(object, attribute, stage). Engine methods are wrapped on the instance, the
    functions the verifier and the engine call through their modules on the module."""
    return [
        (engine, "decode_frame", "decode"),
        (engine, "lift", "decode"),
        (engine, "_detect", "detect"),
        (engine.models, "landmarks", "landmarks"),
        (geo, "head_pose", "pose"),
        (geo, "brightness_sharpness", "face_figures"),
        (identity, "capture_quality", "face_figures"),
        (engine, "face_chip", "chip"),
        (engine, "chip_descriptor", "descriptor"),
        (geo, "planar_advance", "planar"),
        (replay, "crop", "aligned_crop"),
        (replay, "set_reference", "aligned_crop"),
        (identity, "continuity", "continuity"),
        (actions, "step", "actions"),
        (verifier_module, "baseline_step", "actions"),
    ]


class StageClock:
    """Exclusive CPU seconds per stage, per frame, while the block runs."""

    def __init__(self, engine: Any) -> None:
        self._targets = _targets(engine)
        self._saved: list[tuple[Any, str, Any, bool]] = []
        self._stack: list[float] = []
        self._frame: dict[str, float] = {}
        self._t0 = 0.0

    def _wrap(self, fn: Callable[..., Any], stage: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.process_time()
            self._stack.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.process_time() - t0
                inner = self._stack.pop()
                self._frame[stage] = self._frame.get(stage, 0.0) + spent - inner
                if self._stack:
                    self._stack[-1] += spent

        return timed

    def __enter__(self) -> StageClock:
        for obj, name, stage in self._targets:
            own = name in vars(obj) if hasattr(obj, "__dict__") else False
            original = getattr(obj, name)
            self._saved.append((obj, name, original, own))
            setattr(obj, name, self._wrap(original, stage))
        return self

    def __exit__(self, *exc: object) -> None:
        for obj, name, original, own in reversed(self._saved):
            if own:
                setattr(obj, name, original)
            else:
                delattr(obj, name)  # back to the class's method
        self._saved = []

    def start(self) -> None:
        """A frame begins."""
        self._frame = {}
        self._t0 = time.process_time()

    def stop(self) -> dict[str, float]:
        """The frame ended: its stages (seconds), ``verifier`` the rest."""
        total = time.process_time() - self._t0
        out = dict(self._frame)
        out["verifier"] = max(0.0, total - sum(out.values()))
        out["total"] = total
        return out


def summary(frames: list[dict[str, float]], limit: float = 0.008) -> dict[str, Any]:
    """Per-stage totals of a session and the frames over ``limit`` with their stages."""
    stages: dict[str, float] = {}
    for f in frames:
        for k, v in f.items():
            if k != "total":
                stages[k] = stages.get(k, 0.0) + v
    over = []
    for i, f in enumerate(frames):
        if f["total"] > limit:
            parts = {k: v for k, v in f.items() if k != "total" and v >= 0.0005}
            top = sorted(parts, key=lambda k: -parts[k])
            over.append(
                {
                    "frame": i,
                    "ms": round(1000 * f["total"], 2),
                    "stages_ms": {k: round(1000 * parts[k], 2) for k in top},
                }
            )
    totals = [f["total"] for f in frames]
    return {
        "frames": len(frames),
        "ms_p50": round(1000 * float(np.percentile(totals, 50)), 2),
        "ms_p95": round(1000 * float(np.percentile(totals, 95)), 2),
        "session_cpu_s": round(sum(totals), 3),
        "stage_ms": {
            k: round(1000 * v, 1)
            for k, v in sorted(stages.items(), key=lambda x: -x[1])
        },
        "over_limit": over,
    }


def per_frame_min(runs: list[list[float]]) -> list[float]:
    """Each frame's least CPU over repeated runs of the same session.

    Other work on a shared machine only ever adds to a frame's CPU time (caches,
    the other hyperthread), so the least of a few runs is the closest to the
    frame's own cost. Runs of different lengths are cut to the shortest.
    """
    n = min(len(r) for r in runs)
    return [min(r[i] for r in runs) for i in range(n)]


def session(engine, timed, webcam, clock=None):
    """The speed bench's session: per-frame CPU seconds (stages with a clock)."""
    v = Verifier(engine, Challenge(("turn_right", "turn_left", "nod")), [webcam])
    per, stages = [], []
    for t, b in timed:
        if clock is not None:
            clock.start()
        t0 = time.process_time()
        p = v.feed(t, b)
        per.append(time.process_time() - t0)
        if clock is not None:
            stages.append(clock.stop())
        if p.finished:
            break
    verdict = v.verdict.code if v.verdict else v.finish(timed[-1][0] + 0.04).code
    return v, per, stages, verdict


def best_of(fn, n=20):
    """The least CPU of ``n`` calls, in ms."""
    best = float("inf")
    for _ in range(n):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return round(1000 * best, 2)


def model_costs(engine, grey):
    """One call of each model on a 640x480 frame of the clip (least of 20, ms)."""
    m = engine.models
    small = cv2.resize(grey, (320, 240), interpolation=cv2.INTER_AREA)
    box = engine.significant_faces(engine.detect_frame(grey))[0]
    colour = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    chip = engine.face_chip(colour, box)
    return {
        # Which dlib: the source build (BLAS) and the prebuilt wheel differ in
        # speed by model (docs/benchmarks.md, "Cost per frame").
        "dlib": f"{dlib.__version__} BLAS={bool(dlib.DLIB_USE_BLAS)}",
        "hog_320x240": best_of(lambda: m.detector(small, 0)),
        "landmarks_68": best_of(lambda: m.landmarks(grey, box)),
        "descriptor": best_of(lambda: engine.chip_descriptor(chip), 5),
    }


def naive_frames(
    engine: Any, timed: list[tuple[float, bytes]], *, small: bool
) -> list[float]:
    """The straightforward pipeline, per frame: decode, full-frame HOG (upsampled
    once for small frames), 68 landmarks and a descriptor on every frame."""
    m = engine.models
    base = []
    for _t, b in timed:
        t0 = time.process_time()
        img = cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR)
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        rects = m.detector(rgb, 1 if small else 0)
        for r in rects[:1]:
            m.landmarks(
                cv2.cvtColor(img, cv2.COLOR_BGR2GRAY),
                (r.left(), r.top(), r.right(), r.bottom()),
            )
            m.encoder.compute_face_descriptor(rgb, m.shape5(rgb, r))
        base.append(time.process_time() - t0)
    return base
