"""``python -m faceverify``: enrol a photo, verify a clip, with exit codes."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from faceverify import cli

pytestmark = pytest.mark.model


def run(capsys, *argv: str) -> tuple[int, dict]:
    code = cli.main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def test_enrol_prints_a_summary_not_the_descriptor(capsys, shared):
    code, out = run(capsys, "enrol", str(shared / "faces" / "obama" / "obama.jpg"))
    assert code == 0
    assert out["ok"] is True
    assert out["dims"] == 128
    assert "descriptor" not in out


def test_enrol_without_a_face_fails_with_the_engines_code(capsys, tmp_path):
    blank = tmp_path / "wall.jpg"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 200, np.uint8))
    code, out = run(capsys, "enrol", str(blank))
    assert code == 1
    assert out["ok"] is False
    assert out["code"]
    assert out["message"]


def test_verify_passes_the_right_person_and_rejects_another(
    capsys, shared, clip_cache, tmp_path
):
    timed, _frames, _fps = clip_cache(
        "multi_action/webcam_man_mouth_turn.mp4", 100, 101
    )
    reference = tmp_path / "webcam_man.jpg"
    reference.write_bytes(timed[0][1])
    clip = str(shared / "media" / "nod" / "webcam_man_nod_down_up.mp4")

    code, out = run(
        capsys, "verify", "--enrol", str(reference), "--actions", "nod", clip
    )
    assert (code, out["code"]) == (0, "passed"), out

    other = str(shared / "faces" / "obama" / "obama.jpg")
    code, out = run(capsys, "verify", "--enrol", other, "--actions", "nod", clip)
    assert code == 2
    assert out["code"] != "passed"


def test_verify_with_an_unusable_reference_stops_before_the_clip(
    capsys, shared, tmp_path
):
    blank = tmp_path / "wall.jpg"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 200, np.uint8))
    clip = str(shared / "media" / "nod" / "webcam_man_nod_down_up.mp4")
    code, out = run(capsys, "verify", "--enrol", str(blank), "--actions", "nod", clip)
    assert code == 1
    assert out["ok"] is False
