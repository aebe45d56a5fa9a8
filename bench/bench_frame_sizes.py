"""The frame sizes camera.js steps down to on a thin upload, through the real engine.

For each size (width in px / JPEG quality) of ``static/js/camera.js``'s LEVELS,
and one below: the liveness clips as the browser sends them (8 frames a second)
must still pass, the genuine match distance across two recordings of the same
man must stay under the threshold, other people's photos must stay far from
it, and held photos (still, panned, zoomed, rotated, tilted) must not pass a
one- or two-action challenge. The full-size row is the plain alternative the
others are read against. Prints the figures; the last line is one JSON object.

    .venv/bin/python bench/bench_frame_sizes.py

Data: LIFECERT_SHARED_DIR (default ../shared).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faceverify import (  # noqa: E402
    Challenge,
    EngineConfig,
    Verifier,
    descriptor_distance,
    load_engine,
)
from faceverify.media import read_clip, still_motion  # noqa: E402

cv2.setNumThreads(1)
SHARED = Path(os.environ.get("LIFECERT_SHARED_DIR", ROOT.parent / "shared")).resolve()
SIZES = [(480, 80), (400, 65), (320, 50), (320, 40)]  # camera.js LEVELS, then lower
SESSIONS = [  # clip, first and last frame, challenge
    ("blink/man_single_blink_greenscreen.mp4", 0, 240, ("blink",)),
    ("blink/woman_repeated_blinks.mp4", 0, 240, ("blink",)),
    ("blink/talking_man_natural_blinks.mp4", 0, 240, ("blink",)),
    ("multi_action/webcam_man_talk_turn_nod.mp4", 380, 640, ("turn_right", "nod")),
]
# The reference of the browser test: a frame of another recording of the man.
ENROL = ("multi_action/webcam_man_mouth_turn.mp4", 100)
PROBE_CLIP = "multi_action/webcam_man_talk_turn_nod.mp4"
PROBE_FRAMES = range(100, 480, 20)
# Attacks: a photo held to the camera (still, panned, zoomed, rotated, tilted),
# the photo being the enrolment too; one-action and two-action challenges.
STILL_KINDS = ("static", "pan", "zoom", "rotate", "tilt")
STILL_CHALLENGES = [("blink",), ("blink", "turn_left"), ("open_mouth", "nod")]
STILL_PHOTOS = 6


def browser_jpeg(frame, width: int, quality: int) -> bytes:
    height = round(frame.shape[0] * width / frame.shape[1])
    small = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return jpeg.tobytes()


def descriptor_of(engine, image):
    analysis = engine.analyse_frame(image)
    if analysis is None or analysis.box is None:
        return None
    return engine.descriptor(image, analysis.box)


def session_verdict(engine, clip, first, last, actions, width, quality):
    frames, fps = read_clip(SHARED / "media" / clip, max_frames=last)
    frames = frames[first:last]
    reference = descriptor_of(engine, frames[0])
    verifier = Verifier(engine, Challenge(actions), [reference])
    sizes, at = [], 0.0
    for index in range(0, len(frames), 3):  # 25 fps clip -> about 8 a second
        jpeg = browser_jpeg(frames[index], width, quality)
        sizes.append(len(jpeg))
        at = index / fps
        if verifier.feed(at, jpeg).finished:
            break
    verdict = verifier.verdict or verifier.finish(at + 0.04)
    return verdict.code, statistics.mean(sizes)


def stills_passed(engine, photos, width, quality) -> tuple[int, int]:
    passed = tried = 0
    for image in photos:
        for kind in STILL_KINDS:
            frames = still_motion(image, kind, seconds=5.0, fps=8.0)
            timed = [
                (i / 8.0, browser_jpeg(f, width, quality)) for i, f in enumerate(frames)
            ]
            reference = descriptor_of(engine, frames[0])
            if reference is None:
                continue
            for actions in STILL_CHALLENGES:
                verifier = Verifier(engine, Challenge(actions), [reference])
                for at, jpeg in timed:
                    if verifier.feed(at, jpeg).finished:
                        break
                verdict = verifier.verdict or verifier.finish(timed[-1][0] + 0.04)
                tried += 1
                passed += verdict.code == "passed"
    return passed, tried


def main() -> None:
    engine = load_engine(EngineConfig())
    enrol_frames, _ = read_clip(SHARED / "media" / ENROL[0], max_frames=ENROL[1] + 1)
    enrolled = descriptor_of(engine, enrol_frames[ENROL[1]])
    probes, _ = read_clip(
        SHARED / "media" / PROBE_CLIP, max_frames=max(PROBE_FRAMES) + 1
    )
    others, photos, photos_seen = [], [], []
    for path in sorted((SHARED / "faces").glob("*/*.jpg")):
        image = cv2.imread(str(path))
        descriptor = None if image is None else descriptor_of(engine, image)
        if descriptor is not None:
            others.append(descriptor)
            if len(photos) < STILL_PHOTOS and path.parent.name not in {
                p.parent.name for p in photos_seen
            }:
                photos.append(image)
                photos_seen.append(path)
    threshold = EngineConfig().match_threshold
    rows = []
    print(
        f"{'size':<10}{'KB/frame':>9}{'sessions passed':>17}"
        f"{'genuine median/max':>20}{'impostor min':>14}{'stills passed':>15}"
    )
    for width, quality in SIZES:
        verdicts, kilobytes = [], []
        for clip, first, last, actions in SESSIONS:
            code, size = session_verdict(
                engine, clip, first, last, actions, width, quality
            )
            verdicts.append(code)
            kilobytes.append(size / 1024)
        genuine, impostor = [], []
        for index in PROBE_FRAMES:
            jpeg = browser_jpeg(probes[index], width, quality)
            image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
            descriptor = descriptor_of(engine, image)
            if descriptor is None:
                continue
            genuine.append(descriptor_distance(enrolled, descriptor))
            impostor += [descriptor_distance(o, descriptor) for o in others]
        stills, tried = stills_passed(engine, photos, width, quality)
        row = {
            "size": f"{width}/{quality}",
            "stills_passed": stills,
            "stills_tried": tried,
            "kb_per_frame": round(statistics.mean(kilobytes), 1),
            "sessions_passed": sum(code == "passed" for code in verdicts),
            "sessions": len(verdicts),
            "genuine_median": round(statistics.median(genuine), 3),
            "genuine_max": round(max(genuine), 3),
            "impostor_min": round(min(impostor), 3),
        }
        rows.append(row)
        print(
            f"{row['size']:<10}{row['kb_per_frame']:>9}"
            f"{row['sessions_passed']:>12} of {row['sessions']}"
            f"{row['genuine_median']:>12} / {row['genuine_max']}"
            f"{row['impostor_min']:>14}{stills:>9} of {tried}"
        )
    print(f"threshold {threshold}; impostor photos {len(others)}")
    ok = all(
        r["sessions_passed"] == r["sessions"]
        and r["genuine_max"] < threshold < r["impostor_min"]
        and r["stills_passed"] == 0
        for r in rows
    )
    print(json.dumps({"benchmark": "frame_sizes", "threshold": threshold,
                      "all_sizes_ok": ok, "sizes": rows}))  # fmt: skip


if __name__ == "__main__":
    main()
