"""What a browser on a slow line sends: 480 px JPEG (quality 70), 8 frames a second.

``camera.js`` captures 8 frames a second (and sends them all, batched on a
slow line), so a natural blink (~160 ms) is seen in one frame, fully closed.
Closed lids pull the landmarks the head pose is fitted to, and people talk
while they blink: neither may hide the blink.
"""

from __future__ import annotations

import cv2
import pytest

from faceverify import Challenge

from .conftest import run_session

pytestmark = pytest.mark.model

BLINK_CLIPS = [
    "blink/man_single_blink_greenscreen.mp4",  # one blink, mouth open, at 2.6 s
    "blink/woman_repeated_blinks.mp4",
    "blink/talking_man_natural_blinks.mp4",
]


def browser_frames(frames, fps, step=3, width=480):
    out = []
    for index in range(0, len(frames), step):
        frame = frames[index]
        height = round(frame.shape[0] * width / frame.shape[1])
        small = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
        ok, jpg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 70])
        assert ok
        out.append((index / fps, jpg.tobytes()))
    return out


@pytest.mark.parametrize("clip", BLINK_CLIPS)
def test_a_natural_blink_seen_in_one_frame_counts(engine, clip_cache, clip):
    _timed, frames, fps = clip_cache(clip, 0, 240)
    fa = engine.analyse_frame(frames[0])
    ref = engine.descriptor(frames[0], fa.box)
    verdict = run_session(
        engine, Challenge(("blink",)), [ref], browser_frames(frames, fps)
    )
    assert verdict.code == "passed", verdict.to_dict()
