"""Untrusted image bytes: header reading, size limits, colour conversions."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceverify import Challenge, FrameError
from faceverify.imaging import decode, image_size, to_grey, to_rgb

LIMITS = {"max_bytes": 5_000_000, "max_pixels": 4_000_000, "error": FrameError}


def jpeg(width: int = 64, height: int = 48) -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((height, width, 3), 90, np.uint8))
    assert ok
    return data.tobytes()


def test_jpeg_size_is_read_past_padding_and_restart_markers():
    data = jpeg(64, 48)
    # A stray byte, a fill byte (FF FF) and a restart marker before the first segment
    # are legal in the wild; the reader must step over them.
    padded = data[:2] + b"\x00\xff\xff\xd0" + data[2:]
    assert image_size(padded) == (64, 48)


def test_a_jpeg_cut_inside_its_frame_header_has_no_size():
    data = jpeg()
    sof = data.index(b"\xff\xc0")
    assert image_size(data[: sof + 6]) is None
    with pytest.raises(FrameError) as caught:
        decode(data[: sof + 6], grey=True, **LIMITS)
    assert caught.value.code == "bad_image"


def test_other_formats_are_decoded_and_their_size_checked_after():
    ok, bmp = cv2.imencode(".bmp", np.full((30, 40, 3), 10, np.uint8))
    assert ok
    img = decode(bytearray(bmp.tobytes()), grey=False, **LIMITS)
    assert img.shape == (30, 40, 3)
    with pytest.raises(FrameError) as caught:
        decode(
            bmp.tobytes(), grey=True, max_bytes=10**7, max_pixels=1000, error=FrameError
        )
    assert caught.value.code == "too_large"


def test_colour_conversions_accept_grey_bgr_and_bgra():
    grey = np.full((4, 5), 7, np.uint8)
    bgr = np.zeros((4, 5, 3), np.uint8)
    bgr[..., 2] = 200  # red
    bgra = np.dstack([bgr, np.full((4, 5), 255, np.uint8)])
    assert to_grey(grey) is grey
    assert to_grey(bgr).shape == (4, 5)
    assert to_grey(bgra).shape == (4, 5)
    assert to_rgb(grey).shape == (4, 5, 3)
    assert to_rgb(bgr)[0, 0].tolist() == [200, 0, 0]
    assert to_rgb(bgra)[0, 0].tolist() == [200, 0, 0]


@pytest.mark.parametrize(
    ("actions", "options", "message"),
    [
        ((), {}, "1 to 5 actions"),
        (("blink", "dance"), {}, "unknown actions"),
        (("blink", "blink"), {}, "distinct"),
        (("blink",), {"per_action_seconds": 0}, "positive"),
        (("blink",), {"session_seconds": -1}, "positive"),
    ],
)
def test_a_malformed_challenge_is_refused(actions, options, message):
    with pytest.raises(ValueError, match=message):
        Challenge(actions, **options)


def test_random_challenge_count_is_checked_and_prompts_follow_the_actions():
    with pytest.raises(ValueError, match="count"):
        Challenge.random(count=6)
    challenge = Challenge.random(count=2)
    assert len(challenge.actions) == 2
    assert len(challenge.prompts) == 2
    assert all(challenge.prompts)
