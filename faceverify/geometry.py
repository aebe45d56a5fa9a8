"""Pure measurements on 68 landmarks (iBUG 300-W order) and face crops."""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

# Generic 3D face (millimetres) in camera-like axes: x to the image right, y down,
# z away from the camera. A face looking straight at the camera then has R = I.
# Only the eyes and the nose are used: mouth corners and chin move when the mouth
# opens, and with them in the fit an open mouth read as a 6-8 degree head turn.
_MODEL_IDX = [30, 33, 31, 35, 27, 36, 45, 39, 42]
_MODEL_3D = np.array(
    [
        (0.0, 0.0, 0.0),  # 30 nose tip
        (0.0, 12.0, 10.0),  # 33 base of the nose
        (-13.0, 9.0, 11.0),  # 31 nostril, image left
        (13.0, 9.0, 11.0),  # 35 nostril, image right
        (0.0, -43.0, 14.5),  # 27 top of the nose bridge
        (-44.0, -33.0, 23.0),  # 36 outer eye corner, image left
        (44.0, -33.0, 23.0),  # 45 outer eye corner, image right
        (-15.0, -33.0, 17.0),  # 39 inner eye corner, image left
        (15.0, -33.0, 17.0),  # 42 inner eye corner, image right
    ],
    dtype=np.float64,
)

# Points that move little with expressions (brows, nose, eye corners): used to
# follow the face between frames and to measure its scale.
STABLE_IDX = np.array([*range(17, 36), 36, 39, 42, 45])


def eye_aspect_ratio(pts: np.ndarray) -> float:
    """Mean eye aspect ratio of both eyes (Soukupová & Čech 2016)."""

    def one(e: np.ndarray) -> float:
        v = np.linalg.norm(e[1] - e[5]) + np.linalg.norm(e[2] - e[4])
        h = 2.0 * np.linalg.norm(e[0] - e[3])
        return float(v / h) if h > 0 else 0.0

    return (one(pts[36:42]) + one(pts[42:48])) / 2.0


def mouth_aspect_ratio(pts: np.ndarray) -> float:
    """Inner-lip opening divided by the mouth width (about 0 closed, 0.5+ wide open)."""
    v = (
        np.linalg.norm(pts[61] - pts[67])
        + np.linalg.norm(pts[62] - pts[66])
        + np.linalg.norm(pts[63] - pts[65])
    ) / 3.0
    h = np.linalg.norm(pts[48] - pts[54])
    return float(v / h) if h > 0 else 0.0


def inter_ocular(pts: np.ndarray) -> float:
    """Distance between the two eye centres, the face's natural unit of length."""
    return float(np.linalg.norm(pts[36:42].mean(0) - pts[42:48].mean(0)))


def yaw_offset(pts: np.ndarray) -> float:
    """Geometric yaw cue: where the nose tip sits between the eyes, in eye distances.

    The nose tip's offset from the midpoint of the four eye corners, measured along
    the line through the eye centres (so in-plane rotation does not change it) and
    divided by the inter-ocular distance. It does not depend on a 3D face model:
    turning the head moves the protruding nose tip sideways relative to the eyes.
    Same sign as :func:`head_pose`'s yaw: > 0 when the nose moves towards the
    image right (the person turned to their own left). About 0.015 per degree of
    :func:`head_pose` yaw on the webcam clips, with less cross-talk from nodding.
    """
    left = pts[36:42].mean(0)
    right = pts[42:48].mean(0)
    axis = (right - left).astype(np.float64)
    iod = float(np.hypot(axis[0], axis[1]))
    if iod <= 0:
        return 0.0
    mid = (pts[36] + pts[39] + pts[42] + pts[45]).astype(np.float64) / 4.0
    off = pts[30].astype(np.float64) - mid
    return float((off[0] * axis[0] + off[1] * axis[1]) / (iod * iod))


def head_pose(pts: np.ndarray, width: int, height: int) -> tuple[float, float, float]:
    """Return (yaw, pitch, roll) in degrees in raw (unmirrored) camera coordinates.

    yaw > 0: the nose points towards the image right, i.e. the person turned to
    their own left. pitch > 0: the head tilts down. roll > 0: the head leans so
    that the image-right eye goes down (clockwise in the image).
    SQPNP is used because the iterative solver returned flipped poses on some frames.
    """
    f = float(max(width, height))
    cam = np.array(
        [[f, 0, width / 2.0], [0, f, height / 2.0], [0, 0, 1]], dtype=np.float64
    )
    img = pts[_MODEL_IDX].astype(np.float64)
    ok, rvec, _tvec = cv2.solvePnP(_MODEL_3D, img, cam, None, flags=cv2.SOLVEPNP_SQPNP)
    if not ok:
        return 0.0, 0.0, 0.0
    rot, _ = cv2.Rodrigues(rvec)
    # R = Rz(roll) @ Ry(yaw) @ Rx(pitch) decomposition.
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, -rot[2, 0]))))
    pitch = math.degrees(math.atan2(rot[2, 1], rot[2, 2]))
    roll = math.degrees(math.atan2(rot[1, 0], rot[0, 0]))
    # With y down and z away from the camera, a nose moving to the image right is a
    # negative rotation about y; flip so that "turned to own left" is positive.
    return -yaw, pitch, roll


def face_crop(grey: np.ndarray, pts: np.ndarray, size: int = 96) -> np.ndarray | None:
    """Return the inner face (eyes to mouth) scaled to ``size`` x ``size``."""
    x0, y0 = pts[17:].min(0)
    x1, y1 = pts[17:].max(0)
    h, w = grey.shape[:2]
    x_lo, y_lo = max(int(x0), 0), max(int(y0), 0)
    x_hi, y_hi = min(int(x1) + 1, w), min(int(y1) + 1, h)
    if x_hi - x_lo < 8 or y_hi - y_lo < 8:
        return None
    return cv2.resize(
        grey[y_lo:y_hi, x_lo:x_hi], (size, size), interpolation=cv2.INTER_AREA
    )


def brightness_sharpness(grey: np.ndarray, pts: np.ndarray) -> tuple[float, float]:
    """Mean grey level (0-255) and Laplacian variance of the face at a fixed scale."""
    crop = face_crop(grey, pts)
    if crop is None:
        return 0.0, 0.0
    lap = cv2.Laplacian(crop, cv2.CV_32F)
    return float(crop.mean()), float(lap.var())


def focus(grey: np.ndarray, pts: np.ndarray) -> float:
    """How steep the face's edges are, whatever its size and contrast.

    The 98th percentile of the gradient of the 64 px face, lightly smoothed so
    that sensor noise counts little, over the face's grey range (5th to 95th
    percentile). Blur lowers it; noise, JPEG quality and the face's size barely
    move it (measured in ``bench/bench_light.py``), unlike the Laplacian
    variance, which noise inflates as much as blur lowers it.
    """
    crop = face_crop(grey, pts, 64)
    if crop is None:
        return 0.0
    smooth = cv2.GaussianBlur(crop.astype(np.float32), (0, 0), 0.8)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1)
    lo, hi = np.percentile(smooth, (5, 95))
    steep = float(np.percentile(cv2.magnitude(gx, gy), 98))
    return steep / max(float(hi - lo), 1.0)


CROP = 64


def aligned_crop(grey: np.ndarray, pts: np.ndarray, canon: np.ndarray) -> np.ndarray:
    """The face warped so that its stable landmarks land on ``canon`` (CROP x CROP)."""
    src = pts[STABLE_IDX].astype(np.float32)
    m, _ = cv2.estimateAffinePartial2D(src, canon.astype(np.float32))
    if m is None:
        m = np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float64)
    return cv2.warpAffine(grey, m, (CROP, CROP), flags=cv2.INTER_LINEAR)


def canonical_points(pts: np.ndarray) -> np.ndarray:
    """Stable landmarks of ``pts`` centred in the crop with the eyes ~26 px apart."""
    s = pts[STABLE_IDX].astype(np.float64)
    iod = inter_ocular(pts) or 1.0
    c = s.mean(0)
    # numpy's stubs type arithmetic on an ndarray of unknown dtype as Any
    points: np.ndarray = (
        (s - c) * (26.0 / iod) + np.array([CROP / 2, CROP * 0.42])
    ).astype(np.float32)
    return points


ECC_ITERATIONS = 80  # per motion model
# The correlation is looked at (best kept, convergence judged) every ECC_BLOCK
# iterations, however the iterations are spread over frames: a block may be
# begun on one frame and ended on a later one.
ECC_BLOCK = 8
# The motion models in the order they are tried, each with what one of its
# iterations costs in budget units: an affine iteration costs about half a
# homography's (0.11 against 0.19 ms on the 64x64 crop). The cheaper model goes
# first: a planar answer found there comes sooner.
_ECC_MODELS = ((cv2.MOTION_AFFINE, 1), (cv2.MOTION_HOMOGRAPHY, 2))
# The budget that finishes any check at once.
ECC_WHOLE = ECC_ITERATIONS * sum(cost for _motion, cost in _ECC_MODELS)
# The job's form: a job saved in another form (another model order) starts over.
_JOB_FORM = 2


def planar_similarity(ref: np.ndarray, cur: np.ndarray) -> float:
    """Correlation left after the best homography maps ``cur`` onto ``ref``.

    Near 1.0 means ``cur`` is the reference picture seen through a moved plane
    (photo, screen); a live face that opens its mouth or turns its head cannot be
    explained by a homography and scores lower. Several motion models are tried and
    the best kept: one good fit is enough to prove "planar". Returns -1.0 when no
    alignment converged. This is :func:`planar_advance` run to the end.
    """
    job = planar_advance(ref, cur, None, ECC_WHOLE)
    return float(job["best"])


def planar_advance(
    ref: np.ndarray,
    cur: np.ndarray,
    job: dict[str, Any] | None,
    budget: int,
    enough: float = 0.99,
) -> dict[str, Any]:
    """Spend at most ``budget`` more units of ECC iterations on the planar check.

    An affine iteration costs one unit, a homography's two (at least one
    iteration runs). A live face costs every iteration of both models (up to
    ~25 ms), so the verifier spreads them over frames; the job (motion model,
    warp, best correlation, a block begun) is plain JSON data. ``job["done"]``
    tells when ``job["best"]`` is final, or has reached ``enough`` (it only ever
    grows, so a caller that asks "planar or not" at a threshold passes that
    threshold and is answered as soon as it is certain). The answer does not
    depend on ``budget``: the correlation is only looked at when a block of
    ``ECC_BLOCK`` iterations ends (OpenCV's iterations continue from the warp
    kept), so a check spread over frames, finished at once, or both, ends with
    the same ``best``.
    """
    if job is None or job.get("form") != _JOB_FORM:
        job = {"form": _JOB_FORM, "m": 0, "warp": None, "it": 0, "rho": None}
        job.update({"best": -1.0, "done": False, "part": None})
    else:
        job = dict(job)
    a = cv2.GaussianBlur(ref, (3, 3), 0).astype(np.float32)
    b = cv2.GaussianBlur(cur, (3, 3), 0).astype(np.float32)
    while budget > 0 and not job["done"]:
        motion, cost = _ECC_MODELS[job["m"]]
        rows = 3 if motion == cv2.MOTION_HOMOGRAPHY else 2
        # A block begun on an earlier frame: its warp so far and its iterations.
        part = job["part"]
        start = job["warp"] if part is None else part["warp"]
        begun = 0 if part is None else int(part["n"])
        warp = (
            np.eye(rows, 3, dtype=np.float32)
            if start is None
            else np.asarray(start, dtype=np.float32).reshape(rows, 3)
        )
        block = min(ECC_BLOCK, ECC_ITERATIONS - job["it"])
        n = min(max(1, budget // cost), block - begun)
        budget -= n * cost
        crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, n, 1e-6)
        try:
            rho, warp = cv2.findTransformECC(a, b, warp, motion, crit, None, 1)  # type: ignore[call-overload]  # OpenCV takes None for inputMask; the stubs want a Mat
        except cv2.error:
            # The whole block failed, as one call of its iterations would have.
            job["part"] = None
            finished = True
        else:
            if begun + n < block:
                job["part"] = {"warp": warp.ravel().tolist(), "n": begun + n}
                continue
            job["part"] = None
            job["it"] += block
            rho = float(rho)
            # Converged (the correlation no longer moves): this model is done.
            finished = job["it"] >= ECC_ITERATIONS or (
                job["rho"] is not None and abs(rho - job["rho"]) < 1e-6
            )
            job["rho"] = rho
            job["warp"] = warp.ravel().tolist()
            job["best"] = max(job["best"], rho)
        if job["best"] >= enough:
            job["done"] = True
        elif finished:
            job["m"] += 1
            job["warp"], job["it"], job["rho"] = None, 0, None
            job["done"] = job["m"] >= len(_ECC_MODELS)
    return job


def ncc(x: np.ndarray, y: np.ndarray) -> float:
    """Normalised cross-correlation of two same-sized arrays (0 if one is flat)."""
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    x = x - x.mean()
    y = y - y.mean()
    d = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / d) if d > 0 else 0.0


def eye_band(canon: np.ndarray) -> tuple[int, int]:
    """Rows of the aligned crop that hold the eyes."""
    ys = canon[-4:, 1]  # 36, 39, 42, 45 are the last stable points
    y = float(ys.mean())
    return max(0, int(y - 6)), min(CROP, int(y + 6))
