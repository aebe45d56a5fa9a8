"""The stateful liveness verifier: frames in, progress out, one verdict at the end.

Time is the server's: every frame's ``t`` and every ``now`` are seconds since the
session started on the server's clock (the web layer maps the browser's capture
times onto it within a bounded skew). The challenge is revealed one action at a
time: an action becomes due when the face is still and neutral, is held back a
random ``hold`` while the face must stay still, and is revealed by
:meth:`Verifier.advance` — the web layer calls it with the time its answer
leaves, so that the prompt's time is when the browser could first know it.

Its whole state is a typed value with a JSON form (:mod:`faceverify.state`), so
that any worker can continue a session from the value saved after the previous
batch of frames.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import actions, identity, replay
from .baseline import baseline_step, sample
from .challenge import ACTION_LABELS, HEAD_MOVES, Challenge
from .engine import Engine, FrameAnalysis
from .errors import FrameError
from .results import (
    COACHING,
    PROMPT_HOLD,
    PROMPT_SETTLE,
    VERDICT_CODES,
    VERDICT_MESSAGES,
    Progress,
    Verdict,
)
from .state import STATE_VERSION, Detector, SessionState, StateVersionError

__all__ = [
    "COACHING",
    "STATE_VERSION",
    "VERDICT_CODES",
    "VERDICT_MESSAGES",
    "Progress",
    "StateVersionError",
    "Verdict",
    "Verifier",
]


class Verifier:
    """Consumes timestamped frames of one session and decides one verdict.

    ``references`` are enrolled descriptors of the person. ``state`` is the JSON
    form saved after the previous batch (another version raises
    :class:`StateVersionError`: the session must start again).
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
        self._busy = False  # this frame already paid for a chip or a descriptor
        self._raw: np.ndarray | None = None  # this frame's grey before the lift
        self.s = SessionState() if state is None else SessionState.from_json(state)

    @property
    def state(self) -> dict[str, Any]:
        """The JSON form of the session state (plain Python values only)."""
        return self.s.to_json()

    @property
    def verdict(self) -> Verdict | None:
        """The verdict once the session has finished."""
        return self.s.verdict

    # -- public API ---------------------------------------------------------------

    def feed(
        self, timestamp: float, image: bytes | np.ndarray, *, advance: bool = True
    ) -> Progress:
        """Process one frame; raises :class:`FrameError` if unreadable.

        With ``advance`` (one frame at a time) the prompt may be revealed at the
        frame's own time; the web layer feeds a batch with ``advance=False`` and
        then calls :meth:`advance` with the time its answer leaves.
        """
        s = self.s
        if s.verdict is not None:
            return self.progress()
        t = float(timestamp)
        if not math.isfinite(t):
            raise FrameError("bad_image", "时间戳无效。", detail="bad_timestamp")
        if t >= self.challenge.session_seconds:
            self.finish(t)
            return self.progress()
        if s.last_t is not None and t <= s.last_t:
            # Late or duplicated frames are ignored rather than rewinding time.
            return self.progress()
        raw = self.engine.decode_frame(image)  # raises before any state change
        grey, mean = self.engine.lift(raw)
        self._raw = raw
        self._step(t, grey, image, light=mean)
        if advance:
            self.advance(t)
        return self.progress()

    def advance(self, now: float) -> Progress:
        """The server's clock reads ``now``: reveal a prompt whose hold is over,
        end an action or a session whose time ran out."""
        s = self.s
        p = s.prompt
        if p.last_now is not None and s.last_t is not None and s.last_t > p.last_now:
            gap = s.last_t - p.last_now
            p.rtt = gap if p.rtt is None else min(p.rtt, gap)
        p.last_now = now
        if s.verdict is None:
            if now >= self.challenge.session_seconds:
                self.finish(now)
            else:
                self._reveal(now)
                self._check_timeout(now)
        return self.progress()

    def finish(self, timestamp: float) -> Verdict:
        """End the session now (expiry or the user gave up) and return the verdict."""
        s = self.s
        if s.verdict is None:
            if float(timestamp) >= self.challenge.session_seconds:
                self._set_verdict("expired", detail="session_expired")
            else:
                self._fail_liveness("stopped")
        assert s.verdict is not None  # noqa: S101 set just above
        return s.verdict

    def scrub(self) -> None:
        """Forget every biometric value of a finished session (crops, chips,
        descriptors); counters and the verdict stay."""
        self.s.scrub()

    def progress(self) -> Progress:
        """The current progress without feeding a frame."""
        s = self.s
        acts = self.challenge.actions
        idx = min(s.index, len(acts))
        current = None
        if s.verdict is not None:
            phase, prompt = "done", VERDICT_MESSAGES[s.verdict.code]
        elif s.baseline is None:
            phase, prompt = "settle", PROMPT_SETTLE
        elif idx < len(acts) and s.prompt.revealed_at is not None:
            current = acts[idx]
            phase, prompt = "act", ACTION_LABELS[current]
        else:
            phase, prompt = "hold", PROMPT_HOLD
        return Progress(
            phase=phase,
            action_index=idx,
            steps=len(acts),
            current_action=current,
            prompt=prompt,
            done_actions=list(s.done),
            coaching=s.coaching,
            face_ok=bool(s.face_ok),
            finished=s.verdict is not None,
            verdict=s.verdict,
            face_seen=s.had_face,
        )

    # -- the step ---------------------------------------------------------------

    def _step(self, t: float, grey: np.ndarray, image: Any, *, light: float) -> None:
        s, cfg = self.s, self.cfg
        if s.start_t is None:
            s.start_t = t
        s.last_t = t
        s.frames += 1
        self._busy = False
        fa, s.tracker = self.engine.track(grey, t, s.tracker)

        if fa.detected and fa.faces_count >= 2:
            s.multi_run += 1
        elif fa.detected:
            s.multi_run = 0
        if s.multi_run >= cfg.multi_face_checks:
            self._set_verdict("multiple_faces")
            return

        if fa.box is not None and fa.landmarks is None:
            # A detect-only frame of the tracker (the periodic face count): the
            # face is still there, nothing was measured.
            self._check_timeout(t)
            return

        if not fa.has_face:
            s.coaching = COACHING["dark" if light < cfg.too_dark_mean else "no_face"]
            s.face_ok = False
            s.pending, s.hist = [], []  # the baseline window must be unbroken
            if s.prompt.revealed_at is None and s.prompt.armed_at is not None:
                s.prompt.armed_at = t  # the hold needs the face in view
            if s.had_face:
                # Whoever comes back must prove again that it is the same face.
                s.identity.need_desc = s.identity.need_desc or "reacquire"
                s.identity.cont = None
            self._check_timeout(t)
            return

        s.face_frames += 1
        s.had_face = True
        self._coach(fa, light)
        if s.replay.ref_crop is None:
            replay.set_reference(s, grey, fa)
        aligned = replay.crop(s, grey, fa)
        identity.continuity(cfg, s, aligned, fa)
        row = sample(t, fa)
        if s.baseline is None and fa.brightness < cfg.min_brightness:
            # Too dark to measure a neutral face even after the lift: coached
            # (光线太暗), no prompt and no action clock until there is light.
            s.pending = []
        elif s.baseline is None:
            if baseline_step(cfg, s, row):
                s.prompt.armed_at = s.prompt.first_armed = t
                if not self.challenge.holds:
                    # Untimed (the engine's clip tests): asked at once, and this
                    # still frame is the first action's first neutral one.
                    s.prompt.revealed_at = t
                    self._action(row, aligned)
        elif s.index < len(self.challenge.actions):
            self._action(row, aligned)
        if s.verdict is not None:
            return

        if s.baseline is not None:
            self._identity(fa, t, image)
            if s.verdict is not None:
                return
        if not self._busy:
            # A frame that kept the chip or took a descriptor has done its share.
            replay.run_checks(cfg, s, t, timed=bool(self.challenge.holds))

        last = len(self.challenge.actions)
        if s.index >= last and not s.identity.need_desc:
            # The verdict frame finishes the pending planar checks first.
            replay.run_checks(cfg, s, t, all_now=True, timed=bool(self.challenge.holds))
        if s.index >= last and not s.identity.need_desc:
            self._decide()
            return
        self._check_timeout(t)

    def _action(self, row: list[float], aligned: np.ndarray) -> None:
        """One face row while an action is due: hold still, or do the action."""
        s, cfg = self.s, self.cfg
        baseline = s.baseline
        assert baseline is not None  # noqa: S101 only called after the baseline
        action = self.challenge.actions[s.index]
        t = row[0]
        if s.prompt.revealed_at is None:
            if self._resettle_pitch(row):
                # The head came to rest at another pitch (held up or down when
                # the baseline was taken, relaxed since): the nod is measured
                # from there, and the hold starts again from the new rest.
                s.prompt.armed_at = t
                return
            if actions.moving(
                cfg,
                baseline,
                row,
                ("open_mouth", *HEAD_MOVES),
                turn_level=cfg.hold_turn_level,
            ):
                # Moving before being asked: the hold starts again. A recording
                # that keeps talking or moving is never asked anything.
                s.prompt.armed_at = t
                s.prompt.unprompted += 1
                s.coaching = COACHING["still"]
                s.face_ok = False
            return
        timed = bool(self.challenge.holds)
        if timed:
            actions.watch_wrong(cfg, s, action, row)
            if s.prompt.wrong >= cfg.max_wrong_moves:
                self._fail_liveness("wrong_action")
                return
        was_peak = s.det.peak
        done = actions.step(
            cfg,
            s,
            action,
            row,
            lambda: aligned,
            lambda ref, cur: replay.queue_check(s, ref, cur, action),
            timed=timed,
        )
        if (
            timed
            and s.det.peak
            and not was_peak
            and self.challenge.reaction_seconds is not None
            and s.prompt.revealed_at is not None
            and (s.det.t_neutral or t) > self._began_by(s.prompt.revealed_at)
        ):
            # The movement began later than anyone answering the prompt would.
            self._fail_liveness("no_reaction")
            return
        if done:
            actions.next_action(s, action, t)
            if s.index >= len(self.challenge.actions):
                # The face after the last action is checked against the first
                # one and matched; in between, the continuity signals stand guard.
                s.identity.need_desc = s.identity.need_desc or "final"

    def _resettle_pitch(self, row: list[float]) -> bool:
        """While held back: a face that keeps still (as for the baseline) at a
        pitch more than the nod's neutral band from the baseline's, other cues
        unchanged, moves the baseline pitch there. True when it did."""
        s, cfg = self.s, self.cfg
        b = s.baseline
        assert b is not None  # noqa: S101 only called after the baseline
        rows = s.pending
        rows.append(row)
        t = row[0]
        while len(rows) > 1 and t - rows[1][0] >= cfg.baseline_seconds - 1e-6:
            rows.pop(0)
        if len(rows) < 3 or t - rows[0][0] < cfg.baseline_seconds - 1e-6:
            return False
        pitch = [r[4] for r in rows]
        yaw = [r[3] for r in rows]
        off = [r[5] for r in rows]
        still = (
            max(pitch) - min(pitch) <= cfg.baseline_pitch_spread
            and max(yaw) - min(yaw) <= cfg.baseline_yaw_spread
            and max(off) - min(off) <= cfg.baseline_offset_spread
        )
        rest = float(np.median(pitch))
        if (
            not still
            or abs(rest - b.pitch) <= cfg.return_fraction * cfg.nod_degrees
            or abs(float(np.median(yaw)) - b.yaw) > cfg.baseline_yaw_spread
            or abs(float(np.median(off)) - b.off) > cfg.baseline_offset_spread
        ):
            return False
        b.pitch = round(rest, 3)
        s.pending = []
        return True

    def _began_by(self, revealed_at: float) -> float:
        """When the asked movement must have begun, on the server's clock."""
        reaction = self.challenge.reaction_seconds or self.challenge.per_action_seconds
        allowance = min(self.s.prompt.rtt or 0.0, self.cfg.latency_allowance_max)
        return revealed_at + reaction + allowance

    def _reveal(self, now: float) -> None:
        s = self.s
        p = s.prompt
        if (
            s.baseline is None
            or s.index >= len(self.challenge.actions)
            or p.revealed_at is not None
            or p.armed_at is None
            or s.identity.cont is None  # the face is not in view
        ):
            return
        if now - p.armed_at >= self.challenge.hold(s.index):
            p.revealed_at = now
            s.det = Detector()

    def _identity(self, fa: FrameAnalysis, t: float, image: Any) -> None:
        s, cfg = self.s, self.cfg
        ident = s.identity
        if ident.anchor is None and not ident.descs and not ident.need_desc:
            # The session's identity: a chip of the first good frame. Its
            # descriptor (66 ms) is computed when first compared.
            if ident.anchor_since is None:
                ident.anchor_since = t
            if identity.good_for_descriptor(cfg, s, fa, t, ident.anchor_since):
                self._busy = identity.keep_anchor(
                    self.engine, s, fa, t, image, self._poor(fa)
                )
        elif (
            ident.last_desc_t is not None
            and t - ident.last_desc_t >= cfg.descriptor_every_seconds
        ):
            ident.need_desc = ident.need_desc or "periodic"
        if ident.need_desc:
            if ident.need_since is None:
                ident.need_since = t
            if identity.good_for_descriptor(cfg, s, fa, t, ident.need_since):
                self._busy = True
                if not identity.take_descriptor(
                    self.engine, s, fa, t, image, self._poor(fa)
                ):
                    self._set_verdict("face_changed")

    def _poor(self, fa: FrameAnalysis) -> str:
        """This frame's capture judgement ("" when reliable) for its descriptor."""
        if self._raw is None:
            return ""
        return str(identity.capture_quality(self.cfg, self._raw, fa)["reason"])

    def _judge(self) -> tuple[str, float | None, str | None]:
        """Compare the session's face with the references.

        ``match``, ``mismatch``, ``poor`` (not reliable enough to tell: at least
        half the descriptors of dark, blurred or small faces and the distance
        over ``poor_match_threshold``) or ``none`` (nothing compared); with the
        distance and the poor-capture reason.
        """
        s, cfg = self.s, self.cfg
        dist = identity.match_distance(self.engine, s, self.references)
        if dist is None:
            return "none", None, None
        poor = identity.poor_capture(s)
        if poor is not None:
            ok = dist <= min(cfg.poor_match_threshold, cfg.match_threshold)
            return ("match" if ok else "poor"), dist, poor
        return ("match" if dist <= cfg.match_threshold else "mismatch"), dist, None

    def _coach(self, fa: FrameAnalysis, light: float) -> None:
        s, cfg = self.s, self.cfg
        box = fa.box
        if box is None:
            raise ValueError("no face on this frame")
        coach = None
        if s.multi_run > 0:
            coach = COACHING["multiple_faces"]
        elif fa.brightness < cfg.min_brightness:
            coach = COACHING["dark"]
        elif (box[2] - box[0]) < cfg.min_face_frac * fa.width:
            coach = COACHING["small"]
        elif s.baseline is None and abs(fa.yaw) > 20.0:
            coach = COACHING["frontal"]
        s.coaching = coach
        s.face_ok = coach is None
        if coach is None and light < cfg.dim_hint_mean:
            # The face is found on the brightened frame, but a picture this dark
            # is noisy enough to move the descriptor: advise light, go on.
            s.coaching = COACHING["dark"]

    def _check_timeout(self, t: float) -> None:
        s, ch = self.s, self.challenge
        if s.verdict is not None:
            return
        p = s.prompt
        if s.baseline is None:
            # The first action's time starts with the baseline; until then a
            # session with no face ends as before, one whose face never settles
            # (still and frontal) after ``baseline_max_seconds``.
            waited = t - (s.start_t if s.start_t is not None else t)
            if not s.had_face and waited > ch.per_action_seconds:
                self._fail_liveness("action_timeout")
            elif waited > self.cfg.baseline_max_seconds:
                self._fail_liveness("no_baseline")
        elif s.index < len(ch.actions):
            if p.revealed_at is None:
                if (
                    p.first_armed is not None
                    and t - p.first_armed > self.cfg.quiet_max_seconds
                ):
                    self._fail_liveness("not_still")
            elif t - p.revealed_at > ch.per_action_seconds:
                self._fail_liveness("action_timeout")
            elif ch.reaction_seconds is not None and not s.det.peak:
                # No peak long after the movement had to begin: no answer.
                began = self._began_by(p.revealed_at)
                if t > began + self.cfg.onset_to_peak_max:
                    self._fail_liveness("no_reaction")
        elif (
            s.identity.need_desc
            and s.identity.need_since is not None
            and t - s.identity.need_since > ch.per_action_seconds
        ):
            # Actions done but no usable frame for the final check.
            self._fail_liveness("no_final_frame")

    def _fail_liveness(self, detail: str) -> None:
        s = self.s
        if not s.had_face:
            self._set_verdict("no_face", detail=detail)
            return
        # The guide's wording for a liveness failure says the face did match: it
        # is used only when a face was compared and matched.
        judged, dist, poor = self._judge()
        if judged == "match":
            self._set_verdict("liveness_failed", dist, detail=detail)
        elif judged == "mismatch":
            self._set_verdict("mismatch", dist, detail=f"liveness:{detail}")
        elif judged == "poor":
            self._set_verdict("poor_capture", dist, detail=f"{poor}:liveness:{detail}")
        else:
            self._set_verdict("actions_failed", detail=detail)

    def _decide(self) -> None:
        s = self.s
        # Liveness first: every action done; too few live frames to have seen
        # anything is a replay (the peaks themselves were checked for planar
        # motion as they happened).
        if s.face_frames < 6:
            self._fail_liveness("replay_suspected")
            return
        judged, dist, poor = self._judge()
        if judged == "none":
            self._fail_liveness("no_descriptor")
        elif judged == "match":
            self._set_verdict("passed", dist)
        elif judged == "poor":
            # Too dark, blurred or small to tell: coached, never "不匹配".
            self._set_verdict("poor_capture", dist, detail=poor)
        else:
            self._set_verdict("mismatch", dist)

    def _set_verdict(
        self, code: str, distance: float | None = None, detail: str | None = None
    ) -> None:
        s = self.s
        s.verdict = Verdict(code, distance, detail, list(s.done))
        s.coaching = None
