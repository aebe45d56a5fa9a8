"""The work schedule: at most one heavy stage on a frame.

The heavy stages are the HOG detector (acquiring a face, the count about once a
second, a confirmation near the tracked box) and the identity stage (the face
chip and its descriptors). A frame that pays for one must not pay for the other:
the server answers a batch only when its slowest frame is done, and one frame
carrying both is what pushes a batch over its time (bench/bench_face.py prints
the stages of every frame over 8 ms).
"""

from __future__ import annotations

import cv2
import pytest

from faceverify import Challenge, Verifier
from faceverify.media import encode_jpeg

pytestmark = pytest.mark.model


class HeavyStages:
    """Which heavy stages each fed frame ran (the real models run as usual)."""

    def __init__(self, engine, monkeypatch) -> None:
        self.current: set[str] = set()
        for name, stage in (
            ("_detect", "detect"),
            ("face_chip", "identity"),
            ("chip_descriptor", "identity"),
        ):
            monkeypatch.setattr(engine, name, self._seen(getattr(engine, name), stage))

    def _seen(self, fn, stage):
        def call(*args, **kwargs):
            self.current.add(stage)
            return fn(*args, **kwargs)

        return call

    def run(self, engine, challenge, refs, timed):
        """Feed the frames; the verdict and each frame's heavy stages."""
        v = Verifier(engine, challenge, refs)
        frames = []
        for t, jpeg in timed:
            self.current = set()
            done = v.feed(t, jpeg).finished
            frames.append(self.current)
            if done:
                break
        return v, frames


def as_browser_sends(frames, fps_step=3, width=480):
    """480 px wide JPEGs, about 8 a second (the pace while an action is asked)."""
    out = []
    for i, f in enumerate(frames[::fps_step]):
        h, w = f.shape[:2]
        small = cv2.resize(
            f, (width, round(width * h / w)), interpolation=cv2.INTER_AREA
        )
        out.append((round(i * 0.12, 2), encode_jpeg(small)))
    return out


@pytest.mark.parametrize(
    "clip", ["blink/woman_repeated_blinks.mp4", "blink/talking_man_natural_blinks.mp4"]
)
def test_a_frame_that_ran_the_detector_takes_no_descriptor(
    engine, clip_cache, monkeypatch, clip
):
    # While a blink is asked the count frame measures landmarks too, and the
    # woman's blink ends on it: her final descriptor used to be taken there,
    # on top of the detector (62 ms of CPU on one frame).
    _timed, frames, _fps = clip_cache(clip, 0, 240)
    fa = engine.analyse_frame(frames[0])
    ref = engine.descriptor(frames[0], fa.box)
    log = HeavyStages(engine, monkeypatch)
    v, stages = log.run(engine, Challenge(("blink",)), [ref], as_browser_sends(frames))
    assert v.verdict is not None
    assert v.verdict.code == "passed"
    assert v.state["identity"]["descs"]  # the final face was compared
    both = [i for i, s in enumerate(stages) if {"detect", "identity"} <= s]
    assert both == []
    assert any("detect" in s for s in stages[1:])  # the counts did run


def test_the_speed_bench_session_has_one_heavy_stage_a_frame(
    engine, speed_session, monkeypatch
):
    log = HeavyStages(engine, monkeypatch)
    v, stages = log.run(engine, *speed_session)
    assert v.verdict is not None
    assert v.verdict.code == "passed"
    assert all(len(s) <= 1 for s in stages)
    counts = [i for i, s in enumerate(stages) if s == {"detect"}]
    assert len(counts) >= 4  # acquisition and about one count a second
