"""A session saved by an older version of the verifier finishes after an upgrade.

The state lives in the database between frames, so a deployment can land in
the middle of someone's session: the next frame is read by the new code.
"""

from __future__ import annotations

import copy

import pytest

from faceverify import Challenge, Verifier

pytestmark = pytest.mark.model

CLIP = "multi_action/webcam_man_talk_turn_nod.mp4"  # frontal, then turn right, nod
CHALLENGE = Challenge(("turn_right", "nod"))


def as_saved_by(state: dict, version: int) -> dict:
    """The state in the shape the older version wrote."""
    old = copy.deepcopy(state)
    old["v"] = version
    if old["baseline"] is not None:
        old["baseline"].pop("off", None)  # no nose offset before version 3
    old["hist"] = [row[:5] for row in old["hist"]]
    old["pending"] = [row[:5] for row in old["pending"]]
    if version == 1:
        old["nonrigid"] = [0.1, 0.2]
        old["ref_pts"] = [[0.0, 0.0]]
        old["need_desc"], old["need_since"] = "start", old["last_t"]
        for key in ("planar_peaks", "checks", "coaching", "triggers"):
            old.pop(key, None)
    return old


@pytest.mark.parametrize("version", [1, 2])
def test_a_session_saved_before_the_upgrade_passes_after_it(
    engine, clip_cache, version
):
    timed, frames, _fps = clip_cache(CLIP, 380, 640)
    reference = engine.descriptor(frames[0], engine.analyse_frame(frames[0]).box)
    before = Verifier(engine, CHALLENGE, [reference])
    # Resume while the first still window is being gathered: its rows (written
    # without the nose offset by the older versions) are in the saved state.
    resume_at = 4
    for at, jpeg in timed[:resume_at]:
        before.feed(at, jpeg)
    assert before.state["baseline"] is None
    assert before.state["hist"]
    assert before.state["pending"]

    after = Verifier(
        engine, CHALLENGE, [reference], state=as_saved_by(before.state, version)
    )
    upgraded = after.state
    assert upgraded["v"] == 3
    assert upgraded["hist"] == []
    assert "nonrigid" not in upgraded
    assert "ref_pts" not in upgraded
    assert upgraded["need_desc"] in (None, "verdict")
    last = timed[resume_at][0]
    for at, jpeg in timed[resume_at:]:
        last = at
        if after.feed(at, jpeg).finished:
            break
    verdict = after.verdict or after.finish(last + 0.04)
    assert verdict.code == "passed", verdict.to_dict()
