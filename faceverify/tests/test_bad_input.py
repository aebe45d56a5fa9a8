"""Bad input gives a clear error (code + Chinese message), never a crash."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceverify import Challenge, EnrolError, FrameError, Verifier


def _cases(shared) -> dict[str, bytes]:
    jpeg = (shared / "faces/obama/obama.jpg").read_bytes()
    # 50 megapixels (8660 x 5774) of a flat picture: small as a PNG, huge decoded.
    big = np.zeros((5774, 8660), dtype=np.uint8)
    big_png = cv2.imencode(".png", big, [cv2.IMWRITE_PNG_COMPRESSION, 9])[1].tobytes()
    return {
        "empty": b"",
        "not_an_image": b"%PDF-1.4 this is not a picture at all" * 10,
        "fifty_megapixels": big_png,
        "truncated_jpeg": jpeg[: len(jpeg) // 2],
        "jpeg_header_only": jpeg[:200],
        "random": bytes(
            np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8)
        ),
    }


@pytest.fixture(scope="module")
def cases(shared):
    return _cases(shared)


@pytest.mark.parametrize(
    "name",
    [
        "empty",
        "not_an_image",
        "fifty_megapixels",
        "truncated_jpeg",
        "jpeg_header_only",
        "random",
    ],
)
def test_enrol_rejects_bad_input_clearly(engine, cases, name):
    with pytest.raises(EnrolError) as exc:
        engine.enrol(cases[name])
    assert exc.value.code == "bad_image"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.message)


@pytest.mark.parametrize(
    "name",
    [
        "empty",
        "not_an_image",
        "fifty_megapixels",
        "truncated_jpeg",
        "jpeg_header_only",
        "random",
    ],
)
def test_frame_errors_leave_the_verifier_state_untouched(engine, cases, shared, name):
    v = Verifier(engine, Challenge(("blink", "nod")), [[0.0] * 128])
    good = (shared / "faces/obama/obama_small.jpg").read_bytes()
    v.feed(0.0, good)
    before = v.state
    with pytest.raises(FrameError) as exc:
        v.feed(0.1, cases[name])
    assert exc.value.code in ("bad_image", "too_large")
    assert v.state == before
    v.feed(0.2, good)  # and the session goes on


def test_fifty_megapixels_is_reported_as_too_large_for_frames(engine, cases):
    with pytest.raises(FrameError) as exc:
        engine.analyse_frame(cases["fifty_megapixels"])
    assert exc.value.code == "too_large"


def test_oversized_bytes_are_refused_before_decoding(engine):
    with pytest.raises(EnrolError) as exc:
        engine.enrol(b"\xff\xd8" + b"\0" * (engine.config.max_image_bytes + 1))
    assert exc.value.detail == "too_large"


def test_blank_frame_has_no_face(engine):
    fa = engine.analyse_frame(np.full((480, 640, 3), 128, np.uint8))
    assert fa.faces_count == 0
    assert not fa.has_face


def test_blank_picture_cannot_be_enrolled(engine):
    png = cv2.imencode(".png", np.full((480, 640, 3), 200, np.uint8))[1].tobytes()
    with pytest.raises(EnrolError) as exc:
        engine.enrol(png)
    assert exc.value.code == "no_face"
