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


def _spread(ref: np.ndarray, cur: np.ndarray, budget: int) -> tuple[float, int]:
    job, frames = None, 0
    while job is None or not job["done"]:
        job = geo.planar_advance(ref, cur, job, budget)
        frames += 1
    return job["best"], frames


def test_planar_check_spread_over_frames_decides_like_one_go():
    ref = _pattern(1)
    h = np.array([[1.04, 0.03, -1.5], [-0.02, 0.98, 1.0], [1e-4, 0.0, 1.0]])
    size = (geo.CROP, geo.CROP)
    moved = cv2.warpPerspective(ref, h, size, borderMode=cv2.BORDER_REPLICATE)
    # A local, non-planar change (like a mouth opening) on the moved picture.
    changed = moved.copy()
    cv2.ellipse(changed, (32, 50), (12, 7), 0, 0, 360, 20, -1)
    changed = cv2.GaussianBlur(changed, (0, 0), 1.0)
    for cur, planar in ((moved, True), (changed, False)):
        whole = geo.planar_similarity(ref, cur)
        spread, frames = _spread(ref, cur, 8)
        assert (whole >= 0.95) == planar, whole
        assert whole > -0.5  # an alignment was found, not an ECC failure
        assert (spread >= 0.95) == planar, spread
        assert abs(whole - spread) < 0.02
        assert frames <= 2 * geo.ECC_ITERATIONS // 8 + 2
