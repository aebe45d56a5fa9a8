"""The planar-motion check gives the same answer in one go or spread over frames."""

from __future__ import annotations

import cv2
import numpy as np

from faceverify import geometry as geo


def _pattern(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((geo.CROP, geo.CROP), 128, np.uint8)
    for _ in range(8):
        centre = tuple(int(x) for x in rng.integers(8, 56, 2))
        axes = tuple(int(x) for x in rng.integers(3, 12, 2))
        angle = int(rng.integers(0, 180))
        cv2.ellipse(img, centre, axes, angle, 0, 360, int(rng.integers(0, 255)), -1)
    return cv2.GaussianBlur(img, (0, 0), 1.5)


def _spread(
    ref: np.ndarray, cur: np.ndarray, budget: int, enough: float = 0.99
) -> tuple[float, int]:
    job, frames = None, 0
    while job is None or not job["done"]:
        job = geo.planar_advance(ref, cur, job, budget, enough)
        frames += 1
    return job["best"], frames


def _pair() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A picture, the picture moved as a plane, and moved with a local change."""
    ref = _pattern(1)
    h = np.array([[1.04, 0.03, -1.5], [-0.02, 0.98, 1.0], [1e-4, 0.0, 1.0]])
    size = (geo.CROP, geo.CROP)
    moved = cv2.warpPerspective(ref, h, size, borderMode=cv2.BORDER_REPLICATE)
    # A local, non-planar change (like a mouth opening) on the moved picture.
    changed = moved.copy()
    cv2.ellipse(changed, (32, 50), (12, 7), 0, 0, 360, 20, -1)
    changed = cv2.GaussianBlur(changed, (0, 0), 1.0)
    return ref, moved, changed


def test_planar_check_spread_over_frames_decides_like_one_go():
    ref, moved, changed = _pair()
    for cur, planar in ((moved, True), (changed, False)):
        whole = geo.planar_similarity(ref, cur)
        spread, frames = _spread(ref, cur, 8)
        assert (whole >= 0.95) == planar, whole
        assert whole > -0.5  # an alignment was found, not an ECC failure
        assert (spread >= 0.95) == planar, spread
        assert abs(whole - spread) < 0.02
        assert frames <= geo.ECC_WHOLE // 8 + 2


def test_the_share_per_frame_does_not_change_the_answer():
    # The correlation is looked at only when a block of iterations ends, so any
    # share per frame gives the one-go answer: spreading the check over more
    # frames does not weaken it. Seeds whose correlation climbs slowly (many
    # blocks) are the ones a change would show.
    for seed in (1, 2, 3, 4):
        ref = _pattern(seed)
        cur = cv2.GaussianBlur(_pattern(seed + 10), (0, 0), 1.0)
        cur = cv2.addWeighted(ref, 0.6, cur, 0.4, 0)
        whole = geo.planar_similarity(ref, cur)
        for budget in (1, 3, 4, geo.ECC_BLOCK):
            spread, frames = _spread(ref, cur, budget)
            assert abs(spread - whole) < 1e-5, (seed, budget, spread, whole)
            assert frames <= 2 * geo.ECC_ITERATIONS


def test_a_frame_runs_at_most_its_share_of_iterations(monkeypatch):
    # The verifier's share (8 units) is a block of the affine model or half a
    # block of the homography, whose iterations cost twice as much.
    ref, _moved, changed = _pair()
    asked: list[tuple[int, int]] = []
    real = cv2.findTransformECC

    def counted(*args):
        asked.append((args[3], args[4][1]))  # motion, the iteration count
        return real(*args)

    monkeypatch.setattr(geo.cv2, "findTransformECC", counted)
    job, frames, models = None, 0, set()
    while job is None or not job["done"]:
        asked.clear()
        job = geo.planar_advance(ref, changed, job, 8)
        frames += 1
        units = sum(n * (2 if m == cv2.MOTION_HOMOGRAPHY else 1) for m, n in asked)
        assert 0 < units <= 8
        models |= {m for m, _n in asked}
    # Both models ran, over more frames than one block: a live check.
    assert models == {cv2.MOTION_AFFINE, cv2.MOTION_HOMOGRAPHY}
    assert frames > 2


def test_a_planar_answer_is_given_as_soon_as_it_is_certain():
    # ``enough``: the best correlation only grows, so once it reaches the
    # verifier's threshold the answer "planar" is final; it comes in the first
    # block instead of after both motion models.
    ref, moved, changed = _pair()
    best, frames = _spread(ref, moved, 4, enough=0.95)
    assert best >= 0.95
    assert frames <= geo.ECC_BLOCK // 4
    whole = geo.planar_similarity(ref, moved)
    assert whole >= best
    live, _ = _spread(ref, changed, 4, enough=0.95)
    assert live == geo.planar_similarity(ref, changed) < 0.95


def test_a_job_saved_by_an_older_engine_starts_over():
    # Sessions saved before the models' order changed (homography first, no
    # "form"): their job is begun again rather than read with the wrong model.
    ref, moved, _changed = _pair()
    old = {"m": 0, "warp": [1, 0, 0, 0, 1, 0, 0, 0, 1], "it": 8, "rho": 0.9}
    old.update({"best": 0.9, "done": False})
    job = geo.planar_advance(ref, moved, old, geo.ECC_WHOLE)
    assert job["done"]
    assert job["best"] == geo.planar_similarity(ref, moved)
