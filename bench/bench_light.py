"""Descriptor distances of genuine and impostor faces as the light goes down.

    .venv/bin/python bench/bench_light.py

The webcam man's clips are darkened step by step (x factor, Gaussian sensor
noise sigma 5, fixed seed: as ``bench_face.py``'s ``low_light``); at each level a
sample of frames is analysed as a session does (the face found on the lifted
grey frame, the descriptor taken of the colour frame) and its distance measured
to:

- genuine: the webcam man enrolled from one frame of another recording;
- impostor (photos): every enrolable photo of ``faces/`` enrolled as the
  reference, against the webcam man's frames (the nearest photo counts);
- impostor (other people): other persons' clips darkened the same way, against
  the webcam man's enrolment.

For every frame the capture-quality figures the engine uses are printed too:
the mean grey level of the face box before lifting, the focus (edge steepness,
``geometry.focus``: what the engine judges blur by), the sharpness (Laplacian
variance of the lifted face) and the face width as a fraction of the frame.
The last line is one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faceverify import (  # noqa: E402
    EngineConfig,
    EnrolError,
    descriptor_distance,
    load_engine,
)
from faceverify.identity import capture_quality  # noqa: E402
from faceverify.media import encode_jpeg, read_clip  # noqa: E402

cv2.setNumThreads(1)
SHARED = Path(os.environ.get("LIFECERT_SHARED_DIR", ROOT.parent / "shared")).resolve()
LEVELS = (
    "x1.0",
    "x0.5",
    "x0.3",
    "x0.22",
    "x0.15",
    "x0.1",
    "blur2",
    "blur4",
    "far0.5",
    "far0.3",
)
GENUINE = (
    "head_turn/webcam_man_turn_left_right.mp4",
    "nod/webcam_man_nod_down_up.mp4",
    "mouth_open/webcam_man_open_mouth_twice.mp4",
)
OTHERS = (
    "blink/woman_repeated_blinks.mp4",
    "blink/man_single_blink_greenscreen.mp4",
    "blink/talking_man_natural_blinks.mp4",
    "talking/talking_head_1.mp4",
    "talking/talking_head_2.mp4",
)
PER_CLIP = 8


def darken(frame: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    dark = frame.astype(np.float32) * factor + rng.normal(0, 5, frame.shape)
    return np.clip(dark, 0, 255).astype(np.uint8)


def degrade(frame: np.ndarray, level: str, rng: np.random.Generator) -> np.ndarray:
    """``x0.3``: darkened; ``blur4``: Gaussian blur sigma 4 (full light); ``far0.4``:
    the picture shrunk to 0.4 of its size on a grey frame (someone far away)."""
    if level.startswith("x"):
        return darken(frame, float(level[1:]), rng)
    if level.startswith("blur"):
        blurred = cv2.GaussianBlur(frame, (0, 0), float(level[4:]))
        return darken(blurred, 1.0, rng)
    scale = float(level[3:])
    small = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full_like(frame, 96)
    h, w = small.shape[:2]
    y, x = (frame.shape[0] - h) // 2, (frame.shape[1] - w) // 2
    canvas[y : y + h, x : x + w] = small
    return darken(canvas, 1.0, rng)


def sample(rel: str) -> list[np.ndarray]:
    frames, _fps = read_clip(SHARED / "media" / rel, max_frames=240)
    step = max(1, len(frames) // PER_CLIP)
    return frames[::step][:PER_CLIP]


def measure(engine, frame: np.ndarray):
    """(descriptor, quality) of one colour frame, as a session takes them."""
    jpg = encode_jpeg(frame)
    colour = engine.decode_frame(jpg, grey=False)
    raw = engine.decode_frame(jpg)
    fa = engine.analyse_frame(jpg)
    if fa.box is None:
        return None, None
    quality = capture_quality(engine.config, raw, fa)
    return engine.descriptor(colour, fa.box), quality


def triples(descs: list, refs: list) -> list[float]:
    """Mean distances to the nearest of ``refs`` over 3 consecutive descriptors."""
    per = [min(descriptor_distance(d, r) for r in refs) for d in descs]
    return [sum(per[i : i + 3]) / 3 for i in range(max(0, len(per) - 2))]


def med(values: list[float], digits: int) -> float | None:
    return round(statistics.median(values), digits) if values else None


def main() -> None:
    t0 = time.time()
    engine = load_engine(EngineConfig())
    frames, _ = read_clip(
        SHARED / "media/multi_action/webcam_man_mouth_turn.mp4", max_frames=101
    )
    webcam = engine.enrol(encode_jpeg(frames[100])).descriptor
    photos = {}
    for p in sorted((SHARED / "faces").glob("*/*")):
        if p.suffix.lower() not in (".jpg", ".jpeg", ".png") or "_group" in p.parts:
            continue
        try:
            photos[f"{p.parent.name}/{p.name}"] = engine.enrol(
                p.read_bytes()
            ).descriptor
        except EnrolError:
            continue
    genuine = [(k, f) for k, rel in enumerate(GENUINE) for f in sample(rel)]
    others = [(k, f) for k, rel in enumerate(OTHERS) for f in sample(rel)]

    rows = []
    header = (
        f"{'level':<6} {'face':>5} {'focus':>5} {'sharp':>6} {'size':>5} | "
        f"{'genuine med':>11} {'max':>5} {'>0.55':>5} | "
        f"{'photo imp min':>13} | {'other imp min':>13} {'med':>5} | "
        f"{'found':>9}"
    )
    print(header)
    for factor in LEVELS:
        rng = np.random.default_rng(11)
        g, q_light, q_focus, q_sharp, q_size, photo_imp, other_imp = (
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        )
        found = 0
        g_quality = []
        g_descs: dict[int, list] = {}
        o_descs: dict[int, list] = {}
        for k, f in genuine:
            d, q = measure(engine, degrade(f, factor, rng))
            if d is None:
                continue
            found += 1
            g_descs.setdefault(k, []).append(d)
            g.append(descriptor_distance(d, webcam))
            g_quality.append(q)
            q_light.append(q["light"])
            q_sharp.append(q["sharpness"])
            q_focus.append(q["focus"])
            q_size.append(q["size"])
            photo_imp.append(min(descriptor_distance(d, r) for r in photos.values()))
        for k, f in others:
            d, _q = measure(engine, degrade(f, factor, rng))
            if d is not None:
                o_descs.setdefault(k, []).append(d)
                other_imp.append(descriptor_distance(d, webcam))
        # Session-like figures: a session's distance is the mean over its few
        # (2-3) descriptors; here over every 3 consecutive sampled frames.
        g_sess = [m for ds in g_descs.values() for m in triples(ds, [webcam])]
        p_sess = [
            m
            for ds in g_descs.values()
            for r in photos.values()
            for m in triples(ds, [r])
        ]
        o_sess = [m for ds in o_descs.values() for m in triples(ds, [webcam])]
        over = sum(x > engine.config.match_threshold for x in g)
        poor = sum(q["poor"] for q in g_quality)
        row = {
            "level": factor,
            "face_light_median": med(q_light, 1),
            "focus_median": med(q_focus, 2),
            "sharpness_median": med(q_sharp, 1),
            "face_size_median": med(q_size, 3),
            "genuine_frames": len(genuine),
            "genuine_found": found,
            "genuine_median": round(statistics.median(g), 3) if g else None,
            "genuine_max": round(max(g), 3) if g else None,
            "genuine_over_threshold": over,
            "genuine_poor_capture": poor,
            "photo_impostor_min": round(min(photo_imp), 3) if photo_imp else None,
            "other_impostor_min": round(min(other_imp), 3) if other_imp else None,
            "other_impostor_median": (
                round(statistics.median(other_imp), 3) if other_imp else None
            ),
            "other_impostor_found": len(other_imp),
            "session_genuine_max": round(max(g_sess), 3) if g_sess else None,
            "session_photo_impostor_min": round(min(p_sess), 3) if p_sess else None,
            "session_other_impostor_min": round(min(o_sess), 3) if o_sess else None,
        }
        rows.append(row)
        print(
            f"{factor:<6} {row['face_light_median']!s:>5} "
            f"{row['focus_median']!s:>5} {row['sharpness_median']!s:>6} "
            f"{row['face_size_median']!s:>5} | "
            f"{row['genuine_median']!s:>11} {row['genuine_max']!s:>5} {over:>5} | "
            f"{row['photo_impostor_min']!s:>13} | "
            f"{row['other_impostor_min']!s:>13} {row['other_impostor_median']!s:>5} | "
            f"{found:>3}/{len(genuine)} poor {poor} | session genuine max "
            f"{row['session_genuine_max']}, impostor min "
            f"{row['session_photo_impostor_min']} (photos) "
            f"{row['session_other_impostor_min']} (others)"
        )
    result = {
        "photos_enrolled": len(photos),
        "levels": rows,
        "bench_wall_s": round(time.time() - t0, 1),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
