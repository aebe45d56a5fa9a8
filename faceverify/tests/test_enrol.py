"""Enrolment and matching on the real photos."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from faceverify import EngineConfig, EnrolError, descriptor_distance


def test_every_same_person_pair_matches_and_every_other_pair_is_rejected(enrolled):
    cfg = EngineConfig()
    same, diff = [], []
    for (a, da), (b, db) in itertools.combinations(enrolled.items(), 2):
        d = descriptor_distance(da, db)
        (same if a.split("/")[0] == b.split("/")[0] else diff).append((d, a, b))
    assert len(enrolled) >= 15
    assert same
    assert diff
    worst_same = max(same)
    best_diff = min(diff)
    assert worst_same[0] <= cfg.match_threshold, worst_same
    assert best_diff[0] > cfg.match_threshold, best_diff


@pytest.mark.parametrize(
    ("rel", "code"),
    [
        ("_group/two_people.jpg", "multiple_faces"),
        ("_group/kit_with_rose.jpg", "multiple_faces"),
        ("obama/obama-240p.jpg", "face_too_small"),
    ],
)
def test_unsuitable_photos_are_refused_with_a_reason(shared, engine, rel, code):
    with pytest.raises(EnrolError) as exc:
        engine.enrol((shared / "faces" / rel).read_bytes())
    assert exc.value.code == code
    assert exc.value.message  # a Chinese sentence for the user
    assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.message)


def test_rgba_png_enrols_like_the_jpeg(shared, engine):
    a = engine.enrol((shared / "faces/obama/obama2.jpg").read_bytes()).descriptor
    b = engine.enrol((shared / "faces/obama/obama2_rgba32.png").read_bytes()).descriptor
    assert descriptor_distance(a, b) < 0.1


def _jpeg(img: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


def test_dark_photo_is_refused(shared, engine):
    img = cv2.imread(str(shared / "faces/obama/obama.jpg"))
    dark = (img.astype(np.float32) * 0.22).astype(np.uint8)
    with pytest.raises(EnrolError) as exc:
        engine.enrol(_jpeg(dark))
    assert exc.value.code == "too_dark"


def test_blurred_photo_is_refused(shared, engine):
    img = cv2.imread(str(shared / "faces/obama/obama.jpg"))
    blurred = cv2.GaussianBlur(img, (0, 0), 9)
    with pytest.raises(EnrolError) as exc:
        engine.enrol(_jpeg(blurred))
    assert exc.value.code in ("too_blurred", "no_face")


def test_turned_face_is_refused_as_not_frontal(shared, engine):
    with pytest.raises(EnrolError) as exc:
        engine.enrol((shared / "media/spoof/print_photo_attack.jpg").read_bytes())
    assert exc.value.code == "not_frontal"


def test_exif_orientation_is_applied(shared, engine):
    # Stored sideways with EXIF orientation 6: upright is portrait.
    fa = engine.analyse_frame(
        (shared / "media/spoof/screen_replay_attack.jpg").read_bytes()
    )
    assert (fa.width, fa.height) == (480, 640)
    assert fa.faces_count == 1


def test_frame_analysis_reports_plain_measurements(shared, engine):
    fa = engine.analyse_frame((shared / "faces/obama/obama_small.jpg").read_bytes())
    assert fa.faces_count == 1
    assert fa.box is not None
    assert fa.landmarks.shape == (68, 2)
    assert 0.15 < fa.ear < 0.5
    assert 0 <= fa.mar < 0.6
    assert abs(fa.yaw) < 15
    assert fa.brightness > 60
    assert fa.sharpness > 0
    d = fa.to_dict()
    assert len(d["landmarks"]) == 68


def test_webcam_man_enrolled_from_one_recording(webcam_ref):
    assert len(webcam_ref) == 128
