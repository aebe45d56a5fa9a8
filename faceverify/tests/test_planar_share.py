"""The planar check's share of a frame: about 1 ms of ECC iterations.

A frame of landmarks plus the planar check's share must stay under 8 ms
(docs/benchmarks.md, "The planar check: ..."), so a frame runs a block
(``geometry.ECC_BLOCK``) of the affine model or half a block of the homography,
whose iterations cost twice as much. The check's answer is the one it gives at
once: spreading it over more frames does not weaken it.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceverify import Challenge, Verifier, replay
from faceverify import geometry as geo
from faceverify.media import encode_jpeg, still_motion

pytestmark = pytest.mark.model


class EccLog:
    """ECC iterations asked for on each fed frame (the real OpenCV runs them),
    and every planar check the verifier queued."""

    def __init__(self, monkeypatch) -> None:
        self.asked = 0
        self.checks: list[tuple[np.ndarray, np.ndarray, str]] = []
        real_ecc = cv2.findTransformECC
        real_queue = replay.queue_check

        def ecc(*args):
            # The criteria's iteration count, a homography's counting two.
            n = args[4][1]
            self.asked += 2 * n if args[3] == cv2.MOTION_HOMOGRAPHY else n
            return real_ecc(*args)

        def queue(s, ref, cur, action):
            self.checks.append((replay.unb64(ref), cur.copy(), action))
            return real_queue(s, ref, cur, action)

        monkeypatch.setattr(geo.cv2, "findTransformECC", ecc)
        monkeypatch.setattr(replay, "queue_check", queue)

    def run(self, engine, challenge, refs, timed):
        """Feed the frames; the verifier and each frame's ECC iterations."""
        v = Verifier(engine, challenge, refs)
        per_frame = []
        for t, jpeg in timed:
            self.asked = 0
            done = v.feed(t, jpeg).finished
            per_frame.append(self.asked)
            if done:
                break
        return v, per_frame


def _answer(ref, cur, action, budget, enough):
    if action == "open_mouth":
        top, bottom = replay.MOUTH_ROWS
        ref, cur = ref[top:bottom], cur[top:bottom]
    job = None
    while job is None or not job["done"]:
        job = geo.planar_advance(ref, cur, job, budget, enough)
    return job["best"]


def test_a_frame_of_the_speed_session_runs_one_share(
    engine, speed_session, monkeypatch
):
    share = engine.config.planar_iterations_per_frame
    assert share == geo.ECC_BLOCK  # a homography's half block
    log = EccLog(monkeypatch)
    v, per_frame = log.run(engine, *speed_session)
    assert v.verdict is not None
    assert v.verdict.code == "passed"
    assert len(log.checks) == 3  # one peak a turn and the nod, each checked
    # Every frame but the verdict's (which finishes what is pending) runs at
    # most its share; the share adds up to checks run over many frames.
    assert max(per_frame[:-1]) <= share
    assert sum(n > 0 for n in per_frame[:-1]) > geo.ECC_BLOCK


def test_real_checks_answer_the_same_spread_or_at_once(
    engine, speed_session, shared, monkeypatch
):
    log = EccLog(monkeypatch)
    log.run(engine, *speed_session)
    # A still photo tilted while a turn is asked: its peak is a plane moved.
    img = cv2.imread(str(shared / "faces/obama/obama.jpg"))
    frames = still_motion(img, "tilt", seconds=5.0, fps=10.0)
    fa = engine.analyse_frame(frames[0])
    ref = engine.descriptor(frames[0], fa.box)
    still = [(i / 10.0, encode_jpeg(f)) for i, f in enumerate(frames)]
    v, _ = log.run(engine, Challenge(("turn_left",)), [ref], still)
    assert v.finish(still[-1][0] + 0.04).code != "passed"
    assert v.state["replay"]["planar_peaks"] >= 1
    share = engine.config.planar_iterations_per_frame
    rho = engine.config.planar_rho
    planar = 0
    for a, b, action in log.checks:
        whole = _answer(a, b, action, geo.ECC_WHOLE, 0.99)
        assert _answer(a, b, action, share, 0.99) == pytest.approx(whole, abs=1e-5)
        early = _answer(a, b, action, share, rho)
        assert (early >= rho) == (whole >= rho)
        planar += whole >= rho
    assert len(log.checks) == 4
    assert planar >= 1
