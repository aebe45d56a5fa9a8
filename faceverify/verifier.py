"""The stateful liveness verifier: frames in, progress out, one verdict at the end.

Its whole state is a small JSON value (:attr:`Verifier.state`), so that any worker
can continue a session from the value saved after the previous batch of frames.
"""

from __future__ import annotations

import base64
import copy
import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from . import geometry as geo
from .challenge import ACTION_LABELS, Challenge
from .engine import Engine, FrameAnalysis, descriptor_distance
from .errors import FrameError

STATE_VERSION = 3
CONT = 32  # side of the aligned face compared between consecutive frames

VERDICT_CODES = (
    "passed",
    "liveness_failed",
    "mismatch",
    "no_face",
    "multiple_faces",
    "face_changed",
    "expired",
)

# Verdict wording: the first three are word for word from the operating guide.
VERDICT_MESSAGES: dict[str, str] = {
    "passed": "恭喜您，认证成功",
    "liveness_failed": "认证失败，您的相貌能对上，但您没有跟着引导做动作",
    "mismatch": "认证失败，您的认证照片与建模照片不匹配，请您通过其他方式进行认证",
    "no_face": "认证失败，未检测到人脸，请在光线充足处正对摄像头后重试",
    "multiple_faces": "认证失败，画面中有多张人脸，请确保只有本人在镜头前后重试",
    "face_changed": "认证失败，认证过程中人脸发生了变化，请由本人全程完成认证",
    "expired": "认证超时，请重新开始认证",
}

# How far back "how open the eyes were just before" a blink looks, in seconds.
_BLINK_RECENT_S = 0.6
# A blink with the mouth open counts if the mouth moved less than this since the
# frame before (jitter on a still picture moves the mouth with the eyes).
_BLINK_MOUTH_STEADY = 0.06
_BLINK_PITCH_DEGREES = 12.0

COACHING: dict[str, str] = {
    "no_face": "未检测到人脸，请正对摄像头",
    "multiple_faces": "检测到多张人脸，请确保只有本人在镜头前",
    "dark": "光线太暗，请到明亮的地方",
    "small": "请靠近一些",
    "frontal": "请正对摄像头",
}


@dataclass
class Verdict:
    """The outcome of a session; ``distance`` is the descriptor distance, if any."""

    code: str
    distance: float | None = None
    detail: str | None = None
    done_actions: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """The sentence to show the user."""
        return VERDICT_MESSAGES[self.code]

    @property
    def passed(self) -> bool:
        """True only for ``passed``."""
        return self.code == "passed"

    @property
    def score(self) -> float | None:
        """Alias of ``distance`` (lower is more similar)."""
        return self.distance

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict."""
        return {
            "code": self.code,
            "message": self.message,
            "distance": None if self.distance is None else round(self.distance, 4),
            "detail": self.detail,
            "done_actions": list(self.done_actions),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        """Inverse of :meth:`to_dict`."""
        return cls(
            d["code"],
            d.get("distance"),
            d.get("detail"),
            list(d.get("done_actions", [])),
        )


@dataclass
class Progress:
    """What the browser should show after a frame."""

    action_index: int
    current_action: str | None
    prompt: str
    done_actions: list[str]
    coaching: str | None
    face_ok: bool
    finished: bool
    verdict: Verdict | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (the shape the web layer sends to the browser)."""
        return {
            "action_index": self.action_index,
            "current_action": self.current_action,
            "prompt": self.prompt,
            "done_actions": list(self.done_actions),
            "coaching": self.coaching,
            "face_ok": self.face_ok,
            "finished": self.finished,
            "verdict": None if self.verdict is None else self.verdict.to_dict(),
        }


def _new_state() -> dict[str, Any]:
    return {
        "v": STATE_VERSION,
        "tracker": {},
        "frames": 0,
        "face_frames": 0,
        "last_t": None,
        "start_t": None,
        "pending": [],
        "hist": [],
        "baseline": None,
        "index": 0,
        "action_t0": 0.0,
        "done": [],
        "det": {},
        "descs": [],
        "anchor": None,
        "anchor_since": None,
        "need_desc": None,
        "need_since": None,
        "last_desc_t": None,
        "doubt": False,
        "multi_run": 0,
        "had_face": False,
        "ref_crop": None,
        "canon": None,
        "cont": None,
        "triggers": 0,
        "planar_peaks": 0,
        "checks": [],
        "coaching": None,
        "face_ok": False,
        "verdict": None,
    }


class Verifier:
    """Consumes timestamped frames of one session and decides one verdict.

    ``references`` are enrolled descriptors of the person. ``timestamp`` is seconds
    since the session started, from the server's clock.
    """

    def __init__(
        self,
        engine: Engine,
        challenge: Challenge,
        references: list[list[float]],
        state: dict[str, Any] | None = None,
    ) -> None:
        self.engine = engine
        self.cfg = engine.config
        self.challenge = challenge
        self.references = [list(map(float, r)) for r in references]
        self._frame_busy = False  # the planar check ran on the current frame
        if state is not None and state.get("v") not in (1, 2, STATE_VERSION):
            raise ValueError("unknown verifier state version")
        self._s: dict[str, Any] = (
            _upgrade(_plain(state)) if state is not None else _new_state()
        )

    @property
    def state(self) -> dict[str, Any]:
        """A copy of the session state made of plain Python values only.

        dicts with str keys, lists, str, int, float, bool and None: ``json.dumps``
        takes it without a ``default=`` hook, and no numpy value slips through.
        """
        state: dict[str, Any] = _plain(self._s)
        return state

    @property
    def verdict(self) -> Verdict | None:
        """The verdict once the session has finished."""
        v = self._s["verdict"]
        return None if v is None else Verdict.from_dict(v)

    # -- public API ---------------------------------------------------------------

    def feed(self, timestamp: float, image: bytes | np.ndarray) -> Progress:
        """Process one frame; raises :class:`FrameError` if unreadable."""
        s = self._s
        if s["verdict"] is not None:
            return self.progress()
        t = float(timestamp)
        if not math.isfinite(t):
            raise FrameError("bad_image", "时间戳无效。", detail="bad_timestamp")
        if t >= self.challenge.session_seconds:
            self.finish(t)
            return self.progress()
        if s["last_t"] is not None and t <= s["last_t"]:
            # Late or duplicated frames are ignored rather than rewinding time.
            return self.progress()
        grey = self.engine.decode_frame(image)  # raises before any state change
        grey, mean = self.engine.lift(grey)
        new = copy.deepcopy(s)
        self._step(new, t, grey, image, light=mean)
        self._s = new
        return self.progress()

    def finish(self, timestamp: float) -> Verdict:
        """End the session now (expiry or the user gave up) and return the verdict."""
        s = self._s
        if s["verdict"] is None:
            if float(timestamp) >= self.challenge.session_seconds:
                self._set_verdict(s, "expired", detail="session_expired")
            else:
                self._fail_liveness(s, "stopped")
        return Verdict.from_dict(s["verdict"])

    def progress(self) -> Progress:
        """The current progress without feeding a frame."""
        s = self._s
        acts = self.challenge.actions
        idx = min(s["index"], len(acts))
        current = acts[idx] if idx < len(acts) and s["verdict"] is None else None
        if s["verdict"] is not None:
            prompt = VERDICT_MESSAGES[s["verdict"]["code"]]
        elif current is not None:
            prompt = ACTION_LABELS[current]
        else:
            prompt = "请正对摄像头，保持不动"
        return Progress(
            action_index=idx,
            current_action=current,
            prompt=prompt,
            done_actions=list(s["done"]),
            coaching=s["coaching"],
            face_ok=bool(s["face_ok"]),
            finished=s["verdict"] is not None,
            verdict=self.verdict,
        )

    # -- the step ---------------------------------------------------------------

    def _step(
        self,
        s: dict[str, Any],
        t: float,
        grey: np.ndarray,
        image: Any,
        *,
        light: float = 255.0,
    ) -> None:
        cfg = self.cfg
        if s["start_t"] is None:
            s["start_t"] = t
            s["action_t0"] = t
        s["last_t"] = t
        s["frames"] += 1
        self._frame_busy = False
        fa, s["tracker"] = self.engine.track(grey, t, s["tracker"])

        if fa.detected and fa.faces_count >= 2:
            s["multi_run"] += 1
        elif fa.detected:
            s["multi_run"] = 0
        if s["multi_run"] >= cfg.multi_face_checks:
            self._set_verdict(s, "multiple_faces")
            return

        if fa.box is not None and fa.landmarks is None:
            # A detect-only frame of the tracker (the periodic face count): the
            # face is still there, nothing was measured.
            self._check_timeout(s, t)
            return

        if not fa.has_face:
            dark = light < cfg.too_dark_mean
            s["coaching"] = COACHING["dark" if dark else "no_face"]
            s["face_ok"] = False
            s["pending"] = []  # the baseline window must be unbroken
            s["hist"] = []
            if s["had_face"]:
                # Whoever comes back must prove again that it is the same face.
                s["need_desc"] = s["need_desc"] or "reacquire"
                s["cont"] = None
            self._check_timeout(s, t)
            return

        s["face_frames"] += 1
        s["had_face"] = True
        self._coach(s, fa, light)

        if s["ref_crop"] is None:
            self._set_reference(s, grey, fa)
        self._continuity(s, grey, fa)
        if s["baseline"] is None:
            row = _sample(t, fa)
            if self._baseline_step(s, row) and s["index"] < len(self.challenge.actions):
                # The window was still and frontal: this frame is neutral for the
                # first action, whose time starts now.
                s["action_t0"] = t
                s["det"] = {}
                self._action_step(s, row, (grey, fa))
        elif s["index"] < len(self.challenge.actions):
            self._action_step(s, _sample(t, fa), (grey, fa))

        if s["baseline"] is not None:
            if s["anchor"] is None and not s["descs"] and not s["need_desc"]:
                # The session's identity: a chip of the first good frame. Its
                # descriptor (66 ms) is computed when first compared.
                if s["anchor_since"] is None:
                    s["anchor_since"] = t
                if self._good_for_descriptor(s, fa, t, s["anchor_since"]):
                    self._keep_anchor(s, fa, t, image)
            elif (
                s["last_desc_t"] is not None
                and t - s["last_desc_t"] >= cfg.descriptor_every_seconds
            ):
                s["need_desc"] = s["need_desc"] or "periodic"
            if s["need_desc"]:
                if s["need_since"] is None:
                    s["need_since"] = t
                if self._good_for_descriptor(s, fa, t, s["need_since"]):
                    self._take_descriptor(s, fa, t, image)
                    if s["verdict"] is not None:
                        return
        if not self._frame_busy:
            # A frame that kept the anchor or took a descriptor has done its share.
            self._run_checks(s, t)

        if s["index"] >= len(self.challenge.actions) and not s["need_desc"]:
            # The verdict frame finishes the pending planar checks first.
            self._run_checks(s, t, all_now=True)
        if s["index"] >= len(self.challenge.actions) and not s["need_desc"]:
            self._decide(s)
            return
        self._check_timeout(s, t)

    def _coach(
        self, s: dict[str, Any], fa: FrameAnalysis, light: float = 255.0
    ) -> None:
        cfg = self.cfg
        box = fa.box
        if box is None:
            raise ValueError("no face on this frame")
        coach = None
        if s["multi_run"] > 0:
            coach = COACHING["multiple_faces"]
        elif fa.brightness < cfg.min_brightness:
            coach = COACHING["dark"]
        elif (box[2] - box[0]) < cfg.min_face_frac * fa.width:
            coach = COACHING["small"]
        elif s["baseline"] is None and abs(fa.yaw) > 20.0:
            coach = COACHING["frontal"]
        s["coaching"] = coach
        s["face_ok"] = coach is None
        if coach is None and light < cfg.dim_hint_mean:
            # The face is found on the brightened frame, but a picture this dark
            # is noisy enough to move the descriptor: advise light, go on.
            s["coaching"] = COACHING["dark"]

    def _baseline_step(self, s: dict[str, Any], row: list[float]) -> bool:
        """Add a row to the baseline window; take the baseline once it is neutral.

        The window holds the face frames of the last ``baseline_seconds``. It
        becomes the baseline only when the face in it is still (head pose and nose
        offset spreads, eye ratio not dipping: no blink, not settling) and
        near-frontal with the mouth not held open, so that a session starting
        mid-turn, mid-blink, with the mouth open or while the
        user settles waits (coached to face the camera) instead of measuring every
        later action against a turned or closed-eyed reference.
        """
        cfg = self.cfg
        rows = s["pending"]
        rows.append(row)
        t = row[0]
        # The eye and mouth references come from a longer history than the window
        # (see below): keep the face frames of the last ``baseline_ref_seconds``.
        hist = s.setdefault("hist", [])
        hist.append(row)
        while len(hist) > 1 and t - hist[0][0] > cfg.baseline_ref_seconds + 1e-6:
            hist.pop(0)
        while len(rows) > 1 and t - rows[1][0] >= cfg.baseline_seconds - 1e-6:
            rows.pop(0)
        cols = list(zip(*(r[1:] for r in rows), strict=True))
        ear, mar, yaw, pitch, off = cols
        still = (
            max(yaw) - min(yaw) <= cfg.baseline_yaw_spread
            and max(pitch) - min(pitch) <= cfg.baseline_pitch_spread
            and max(off) - min(off) <= cfg.baseline_offset_spread
            and min(ear) >= cfg.baseline_min_ear_ratio * max(ear)
        )
        frontal = (
            _quantile(mar, 0.2) <= cfg.baseline_max_mouth
            and abs(_quantile(yaw, 0.5)) <= cfg.baseline_frontal_yaw
            and abs(_quantile(off, 0.5)) <= cfg.baseline_frontal_offset
        )
        if not (still and frontal):
            if s["coaching"] is None:
                s["coaching"] = COACHING["frontal"]
                s["face_ok"] = False
            return False
        if len(rows) < 3 or t - rows[0][0] < cfg.baseline_seconds - 1e-6:
            return False
        h_ear = [r[1] for r in hist]
        h_mar = [r[2] for r in hist]
        s["baseline"] = {
            # Open eyes: an upper quantile over the last second, not only the
            # short still window: eyes still opening after a blink, or a user who
            # blinks often or slowly, would otherwise leave a half-closed
            # reference and later blinks would not dip far enough below it.
            "ear": max(_quantile(h_ear, 0.8), _quantile(ear, 0.8)),
            # Closed mouth: the lowest mouth ratio of the last second (a closed
            # mouth is the floor of the ratio). A window taken while the mouth
            # starts to open, or a held smile, would otherwise raise it: the
            # blink check (mouth where it was) and the open-mouth planar
            # reference (a clearly neutral frame) then go wrong.
            "mar": min(min(h_mar), _quantile(mar, 0.2)),
            "yaw": _quantile(yaw, 0.5),
            "pitch": _quantile(pitch, 0.5),
            "off": _quantile(off, 0.5),
        }
        s["pending"] = []
        s["hist"] = []
        return True

    def _set_reference(
        self, s: dict[str, Any], grey: np.ndarray, fa: FrameAnalysis
    ) -> None:
        """Keep a small aligned picture of the face for the planar-motion check."""
        if fa.landmarks is None:
            raise ValueError("no face on this frame")
        canon = geo.canonical_points(fa.landmarks)
        crop = geo.aligned_crop(grey, fa.landmarks, canon)
        s["canon"] = canon.round(3).tolist()
        s["ref_crop"] = _b64(crop)

    def _run_checks(
        self, s: dict[str, Any], t: float, *, all_now: bool = False
    ) -> None:
        """Advance the oldest pending planar check of an action peak by one share.

        A live face needs all 2 x 80 ECC iterations (~25 ms), so a few run per
        frame and the session goes on meanwhile (the next prompt shows at once).
        A peak found planar does not count: its action, and any after it, are
        open again (the user is asked again) and the verdict waits for all checks.
        With ``all_now`` (the frame that decides the verdict) every check finishes.
        """
        while s["checks"]:
            check = s["checks"][0]
            job = geo.planar_advance(
                _unb64(check["ref"]),
                _unb64(check["cur"]),
                check["job"],
                2 * geo.ECC_ITERATIONS
                if all_now
                else self.cfg.planar_iterations_per_frame,
            )
            check["job"] = job
            if not job["done"]:
                return
            s["checks"].pop(0)
            rho = job["best"]
            # An alignment that fails to converge proves nothing either way.
            if -0.5 <= rho < self.cfg.planar_rho:
                if all_now:
                    continue
                return  # live
            self._planar_peak(s, t, check)
            return

    def _planar_peak(self, s: dict[str, Any], t: float, check: dict[str, Any]) -> None:
        """A peak was a picture moved as a plane: reopen its action."""
        s["planar_peaks"] += 1
        i = check["i"]
        s["checks"] = []
        if i < s["index"]:
            s["index"] = i
            s["done"] = s["done"][:i]
            s["action_t0"] = t
            if s["need_desc"] == "final":
                s["need_desc"] = None
                s["need_since"] = None
        s["det"] = {"neutral": True, "ncrop": check["ref"]}

    @staticmethod
    def _crop(s: dict[str, Any], ctx: tuple[np.ndarray, FrameAnalysis]) -> np.ndarray:
        grey, fa = ctx
        if fa.landmarks is None:
            raise ValueError("no face on this frame")
        canon = np.asarray(s["canon"], dtype=np.float32)
        return geo.aligned_crop(grey, fa.landmarks, canon)

    def _action_step(
        self,
        s: dict[str, Any],
        row: list[float],
        ctx: tuple[np.ndarray, FrameAnalysis] | None,
    ) -> None:
        """Advance the current action's detector by one measurement row."""
        cfg = self.cfg
        t, ear, mar, yaw, pitch = row[:5]
        off = row[5] if len(row) > 5 else None
        acts = self.challenge.actions
        action = acts[s["index"]]
        if t < s["action_t0"]:
            return
        b = s["baseline"]
        d = s["det"]
        ret = cfg.return_fraction
        done = False
        if action == "blink":
            # The open level is the baseline's, or the last moment's when the
            # eyes have settled lower since (tired or drooping lids, a wide-eyed
            # start): a blink is a dip below how open the eyes were just before.
            recent = [p for p in d.get("recent", []) if t - p[0] <= _BLINK_RECENT_S]
            prev_mar = d.get("prev_mar", b["mar"])
            if not d.get("peak"):
                recent.append([t, ear])
                d["recent"] = recent
                d["prev_mar"] = mar
            open_level = (
                min(b["ear"], max(p[1] for p in recent)) if recent else b["ear"]
            )
            ratio = ear / open_level if open_level > 0 else 1.0
            if not d.get("peak"):
                if ratio >= cfg.blink_open_ratio:
                    d["neutral"] = True
                elif (
                    ratio <= cfg.blink_close_ratio
                    and d.get("neutral")
                    # Landmark jitter on a picture moves everything at once; a
                    # real blink leaves the head pose and the mouth where they were
                    # (at rest, or as open as a frame ago: people talk and blink).
                    and abs(yaw - b["yaw"]) < 8.0
                    # Closed lids pull the eye corners the pose is fitted to:
                    # the pitch of a fully closed frame reads up to ~10 deg off.
                    and abs(pitch - b["pitch"]) < _BLINK_PITCH_DEGREES
                    and (
                        abs(mar - b["mar"]) < 0.12
                        or abs(mar - prev_mar) < _BLINK_MOUTH_STEADY
                    )
                ):
                    d["peak"], d["t_peak"] = True, t
            elif ratio >= cfg.blink_open_ratio:
                if t - d["t_peak"] <= cfg.blink_max_closed_seconds:
                    done = True
                else:
                    # Eyes shut for too long is not a blink; start over.
                    d["peak"] = False
        else:
            # score >= 1 is a peak; neutral is near the baseline.
            if action == "open_mouth":
                score = (mar - b["mar"]) / cfg.mouth_open_delta
                away = abs(score)
            elif action == "nod":
                score = (pitch - b["pitch"]) / cfg.nod_degrees
                away = abs(score)
            else:
                # Left and right of the user, on raw frames: turn_left moves the
                # nose to the image right (yaw and offset > 0).
                sign = 1.0 if action == "turn_left" else -1.0
                by_pose = sign * (yaw - b["yaw"]) / cfg.turn_degrees
                if off is None or b.get("off") is None:
                    by_nose = by_pose  # a session begun before version 3
                else:
                    by_nose = sign * (off - b["off"]) / cfg.turn_offset
                # Both cues must agree: the nose offset past its threshold and
                # the solvePnP yaw at least part of the way.
                score = min(by_nose, by_pose / cfg.turn_pnp_fraction)
                away = max(abs(by_pose), abs(by_nose))
            neutral = away <= ret
            value, thr = score, 1.0
            if not d.get("peak"):
                if neutral:
                    d["neutral"] = True
                    if ctx is not None and (away <= 0.5 * ret or not d.get("ncrop")):
                        # The planar check's reference: a clearly neutral frame
                        # (a half-open mouth next to an open one can pass for
                        # the same picture slightly warped).
                        d["ncrop"] = _b64(self._crop(s, ctx))
                elif value >= thr and d.get("neutral"):
                    # The peak counts only if this frame cannot be explained as
                    # the last neutral frame (or the first frame) moved as a plane.
                    # Without the frame (rows replayed from the first second) the
                    # answer is "planar": a peak must be proven live on a frame.
                    if ctx is None or s["ref_crop"] is None:
                        s["planar_peaks"] += 1
                    else:
                        # Checked over the next frames (see _run_checks); the
                        # session goes on meanwhile and is decided only after.
                        s["checks"].append(
                            {
                                "i": s["index"],
                                "ref": d.get("ncrop") or s["ref_crop"],
                                "cur": _b64(self._crop(s, ctx)),
                                "job": None,
                            }
                        )
                        d["peak"], d["t_peak"] = True, t
            elif neutral:
                done = True
        if done:
            s["done"].append(action)
            s["index"] += 1
            s["action_t0"] = t
            s["det"] = {}
            if s["index"] >= len(acts):
                # The face after the last action is checked against the first one
                # and matched; in between, the continuity signals stand guard.
                s["need_desc"] = s["need_desc"] or "final"

    def _continuity(
        self, s: dict[str, Any], grey: np.ndarray, fa: FrameAnalysis
    ) -> None:
        """Cheap per-frame check that the face is the one of the previous frame.

        A spliced clip or a face put in front of the camera changes, between two
        consecutive face frames, the look of the aligned face (32x32 correlation),
        or makes its centre or scale jump. Any of these asks for a descriptor (the
        real identity check) on the next good frame, and for a detector check of
        the box. A frame-size change or a face lost and found again does too.
        """
        if fa.landmarks is None:
            raise ValueError("no face on this frame")
        cfg = self.cfg
        small = cv2.resize(
            self._crop(s, (grey, fa)), (CONT, CONT), interpolation=cv2.INTER_AREA
        )
        c = fa.landmarks[geo.STABLE_IDX].mean(0)
        iod = max(fa.inter_ocular, 1.0)
        prev = s["cont"]
        if prev is not None:
            ref = np.frombuffer(base64.b64decode(prev["crop"]), dtype=np.uint8)
            ncc = geo.ncc(ref.reshape(CONT, CONT), small)
            jump = math.hypot(c[0] - prev["c"][0], c[1] - prev["c"][1]) / prev["iod"]
            scale = max(iod / prev["iod"], prev["iod"] / iod)
            if (
                ncc < cfg.continuity_ncc
                or jump > cfg.continuity_jump
                or scale > cfg.continuity_scale
                or prev["size"] != [fa.width, fa.height]
            ):
                s["triggers"] += 1
                s["need_desc"] = s["need_desc"] or "continuity"
                s["tracker"]["force"] = True
        s["cont"] = {
            "crop": base64.b64encode(small.tobytes()).decode("ascii"),
            "c": [round(float(c[0]), 2), round(float(c[1]), 2)],
            "iod": round(float(iod), 2),
            "size": [fa.width, fa.height],
        }

    def _good_for_descriptor(
        self, s: dict[str, Any], fa: FrameAnalysis, t: float, since: float
    ) -> bool:
        b = s["baseline"]
        if not s["face_ok"]:
            return False
        if s.get("need_desc") == "confirm":
            # Confirming a doubt: the very next sharp face decides, turned or not.
            return fa.sharpness >= 0.5 * self.cfg.min_sharpness
        waited = t - since
        # Prefer a frontal frame with open eyes and a closed mouth; after waiting a
        # while, accept any reasonably frontal one.
        yaw_lim, pitch_lim = (8.0, 10.0) if waited < 2.0 else (15.0, 18.0)
        if abs(fa.yaw - b["yaw"]) > yaw_lim or abs(fa.pitch - b["pitch"]) > pitch_lim:
            return False
        if waited < 2.0 and (fa.ear < 0.8 * b["ear"] or fa.mar > b["mar"] + 0.15):
            return False
        return fa.sharpness >= 0.5 * self.cfg.min_sharpness

    def _chip(self, fa: FrameAnalysis, image: Any) -> np.ndarray:
        colour = (
            image
            if isinstance(image, np.ndarray)
            else self.engine.decode_frame(image, grey=False)
        )
        if fa.box is None:
            raise ValueError("no face on this frame")
        return self.engine.face_chip(colour, fa.box)

    def _keep_anchor(
        self, s: dict[str, Any], fa: FrameAnalysis, t: float, image: Any
    ) -> None:
        """Keep the chip of the session's first good frame (JPEG, ~8 KB of state)."""
        chip = self._chip(fa, image)
        ok, jpg = cv2.imencode(
            ".jpg",
            np.ascontiguousarray(chip[:, :, ::-1]),
            [cv2.IMWRITE_JPEG_QUALITY, 95],
        )
        if not ok:
            return
        self._frame_busy = True
        s["anchor"] = base64.b64encode(jpg.tobytes()).decode("ascii")
        s["last_desc_t"] = t

    def _anchor_descriptor(self, s: dict[str, Any]) -> None:
        """Compute the kept anchor's descriptor, the first of the session's list."""
        if s["descs"] or s["anchor"] is None:
            return
        jpg = np.frombuffer(base64.b64decode(s["anchor"]), dtype=np.uint8)
        decoded = cv2.imdecode(jpg, cv2.IMREAD_COLOR)
        assert decoded is not None  # noqa: S101 our own imencode output (_keep_anchor)
        chip = decoded[:, :, ::-1]
        desc = self.engine.chip_descriptor(chip)
        s["descs"].append([round(x, 6) for x in desc])
        s["anchor"] = None

    def _take_descriptor(
        self, s: dict[str, Any], fa: FrameAnalysis, t: float, image: Any
    ) -> None:
        self._frame_busy = True
        self._anchor_descriptor(s)
        desc = self.engine.chip_descriptor(self._chip(fa, image))
        s["need_desc"] = None
        s["need_since"] = None
        s["last_desc_t"] = t
        descs = s["descs"]
        if descs and descriptor_distance(descs[0], desc) > self.cfg.change_threshold:
            # One odd chip (a box that lagged behind a quick move, a blurred or
            # half-lit frame) must not fail a genuine pensioner: the next good
            # frame has to disagree as well. A real swap keeps disagreeing.
            if s.get("doubt"):
                self._set_verdict(s, "face_changed")
                return
            s["doubt"] = True
            s["need_desc"] = "confirm"
            s["need_since"] = None
            return
        s["doubt"] = False
        descs.append([round(x, 6) for x in desc])
        if len(descs) > self.cfg.max_descriptors:
            del descs[1]  # keep the first (session identity) and the latest ones

    def _check_timeout(self, s: dict[str, Any], t: float) -> None:
        if s["verdict"] is not None:
            return
        if s["baseline"] is None:
            # The first action's time starts with the baseline; until then a
            # session with no face ends as before, one whose face never settles
            # (still and frontal) after ``baseline_max_seconds``.
            waited = t - (s["start_t"] if s["start_t"] is not None else t)
            if not s["had_face"] and waited > self.challenge.per_action_seconds:
                self._fail_liveness(s, "action_timeout")
            elif waited > self.cfg.baseline_max_seconds:
                self._fail_liveness(s, "no_baseline")
        elif s["index"] < len(self.challenge.actions):
            if t - s["action_t0"] > self.challenge.per_action_seconds:
                self._fail_liveness(s, "action_timeout")
        elif (
            s["need_desc"]
            and s["need_since"] is not None
            and t - s["need_since"] > self.challenge.per_action_seconds
        ):
            # Actions done but no usable frame for the final check.
            self._fail_liveness(s, "no_final_frame")

    def _match_distance(self, s: dict[str, Any]) -> float | None:
        self._anchor_descriptor(s)
        if not s["descs"] or not self.references:
            return None
        per = [
            min(descriptor_distance(d, r) for r in self.references) for d in s["descs"]
        ]
        return float(np.mean(per))

    @staticmethod
    def _replay_suspected(s: dict[str, Any]) -> bool:
        # Too few live frames to have seen anything (the action peaks themselves
        # are checked for planar motion as they happen).
        face_frames: int = s["face_frames"]
        return face_frames < 6

    def _fail_liveness(self, s: dict[str, Any], detail: str) -> None:
        if not s["had_face"]:
            self._set_verdict(s, "no_face", detail=detail)
            return
        # The guide's wording for a liveness failure says the face did match; when
        # it does not, the user is told so instead.
        dist = self._match_distance(s)
        if dist is not None and dist > self.cfg.match_threshold:
            self._set_verdict(s, "mismatch", dist, detail=f"liveness:{detail}")
        else:
            self._set_verdict(s, "liveness_failed", dist, detail=detail)

    def _decide(self, s: dict[str, Any]) -> None:
        # Liveness first: every action done; then the passive replay check.
        if self._replay_suspected(s):
            self._fail_liveness(s, "replay_suspected")
            return
        dist = self._match_distance(s)
        if dist is None:
            self._fail_liveness(s, "no_descriptor")
        elif dist <= self.cfg.match_threshold:
            self._set_verdict(s, "passed", dist)
        else:
            self._set_verdict(s, "mismatch", dist)

    def _set_verdict(
        self,
        s: dict[str, Any],
        code: str,
        distance: float | None = None,
        detail: str | None = None,
    ) -> None:
        s["verdict"] = Verdict(code, distance, detail, list(s["done"])).to_dict()
        s["coaching"] = None


def _quantile(values: Any, q: float) -> float:
    """Like ``numpy.percentile(values, 100 * q)`` (linear), without its warm-up."""
    v = sorted(float(x) for x in values)
    pos = q * (len(v) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def _b64(crop: np.ndarray) -> str:
    return base64.b64encode(crop.tobytes()).decode("ascii")


def _unb64(text: str) -> np.ndarray:
    crop = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
    return crop.reshape(geo.CROP, geo.CROP)


def _upgrade(s: dict[str, Any]) -> dict[str, Any]:
    """Bring a state saved by an older version of this module up to date."""
    if s.get("v") == 2:
        # Version 3 keeps a sliding window of rows with the nose offset: an
        # unfinished first-second window of version 2 starts over; a version-2
        # baseline (no offset) keeps deciding turns on the yaw alone.
        if s.get("baseline") is None:
            s["pending"] = []
        s["hist"] = []
        s["v"] = STATE_VERSION
        return s
    if s.get("v") == 1:
        for key in ("nonrigid", "ref_pts"):
            s.pop(key, None)
        for key, value in _new_state().items():
            s.setdefault(key, value)
        if s.get("need_desc") in ("start", "action"):
            s["need_desc"] = None
            s["need_since"] = None
        s["v"] = STATE_VERSION
        s["hist"] = []
        if s.get("baseline") is None:
            s["pending"] = []
    return s


def _sample(t: float, fa: FrameAnalysis) -> list[float]:
    return [
        float(t),
        round(float(fa.ear), 5),
        round(float(fa.mar), 5),
        round(float(fa.yaw), 3),
        round(float(fa.pitch), 3),
        round(geo.yaw_offset(fa.landmarks), 4) if fa.landmarks is not None else 0.0,
    ]


def _plain(value: Any) -> Any:
    """A deep copy of ``value`` with numpy scalars and arrays as plain Python."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    raise TypeError(f"not a plain state value: {type(value).__name__}")
