"""Fixtures: the real engine and the real photos and clips in the shared data folder.

The folder comes from ``LIFECERT_SHARED_DIR`` (default: ``shared`` next to the repo).
Tests that need it are skipped, with the reason, only when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import pytest

from faceverify import Challenge, EngineConfig, load_engine
from faceverify.media import encode_jpeg, read_clip

REPO = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """The shared data folder (photos in faces/, clips in media/)."""
    return Path(os.environ.get("LIFECERT_SHARED_DIR", REPO.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared() -> Path:
    d = shared_dir()
    if not (d / "faces").is_dir() or not (d / "media").is_dir():
        pytest.skip(f"shared test data not found at {d} (set LIFECERT_SHARED_DIR)")
    return d


@pytest.fixture(scope="session")
def engine():
    return load_engine(EngineConfig())


@pytest.fixture(scope="session")
def clip_cache(shared):
    """Decode each clip once per run: name -> (list of (t, jpeg bytes), frames, fps)."""
    cache: dict[str, tuple[list[tuple[float, bytes]], list, float]] = {}

    def get(rel: str, start: int = 0, stop: int | None = None):
        key = f"{rel}:{start}:{stop}"
        if key not in cache:
            frames, fps = read_clip(shared / "media" / rel, max_frames=stop)
            frames = frames[start:stop]
            timed = [(i / fps, encode_jpeg(f)) for i, f in enumerate(frames)]
            cache[key] = (timed, frames, fps)
        return cache[key]

    return get


@pytest.fixture(scope="session")
def enrolled(shared, engine):
    """Descriptors of every photo that enrols: path relative to faces/ -> descriptor."""
    out = {}
    for p in sorted((shared / "faces").glob("*/*")):
        if (
            p.suffix.lower() not in (".jpg", ".jpeg", ".png")
            or p.parent.name == "_group"
        ):
            continue
        try:
            out[f"{p.parent.name}/{p.name}"] = engine.enrol(p.read_bytes()).descriptor
        except Exception:  # noqa: S112 - refusals are asserted in test_enrol
            continue
    return out


def run_session(engine, challenge, refs, timed, end_pad: float = 0.04):
    """Feed (t, jpeg) frames to a fresh verifier; return the verdict."""
    from faceverify import Verifier

    v = Verifier(engine, challenge, refs)
    last = 0.0
    for t, jpg in timed:
        last = t
        if v.feed(t, jpg).finished:
            break
    return v.verdict or v.finish(last + end_pad)


@pytest.fixture(scope="session")
def webcam_ref(clip_cache, engine):
    """The webcam man enrolled from one frame of one recording (frame 100)."""
    timed, _frames, _fps = clip_cache(
        "multi_action/webcam_man_mouth_turn.mp4", 100, 101
    )
    return engine.enrol(timed[0][1]).descriptor


@pytest.fixture(scope="session")
def speed_session(clip_cache, webcam_ref):
    """bench_face's speed session: 640x480, 12.5 frames a second, three actions;
    (challenge, references, timed frames)."""
    _timed, frames, _fps = clip_cache(
        "multi_action/webcam_man_talk_turn_nod.mp4", 470, 640
    )
    timed = [
        (i * 0.08, encode_jpeg(cv2.resize(f, (640, 480))))
        for i, f in enumerate(frames[::2])
    ]
    return Challenge(("turn_right", "turn_left", "nod")), [webcam_ref], timed
