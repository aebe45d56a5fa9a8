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
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import actions, identity, prompting, replay, verdicts
from .baseline import baseline_step, sample
from .challenge import ACTION_LABELS, Challenge
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
from .state import STATE_VERSION, SessionState, StateVersionError

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
        references: Sequence[Sequence[float]],
        state: dict[str, Any] | None = None,
    ) -> None:
        self.engine = engine
        self.cfg = engine.config
        self.challenge = challenge
        # Read only at the verdict: the web layer passes a sequence that loads
        # (and opens from its vault) the enrolled descriptors on first use.
        self.references = references
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
            gap = round(s.last_t - p.last_now, 4)
            p.gaps = [*p.gaps, gap][-self.cfg.latency_window :]
            p.rtt = max(p.gaps)
        p.last_now = now
        if s.verdict is None:
            if now >= self.challenge.session_seconds:
                self.finish(now)
            else:
                prompting.reveal(self.cfg, self.challenge, s, now)
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
        acts = self.challenge.actions
        blink_asked = (
            s.prompt.revealed_at is not None
            and s.index < len(acts)
            and acts[s.index] == "blink"
        )
        fa, s.tracker = self.engine.track(grey, t, s.tracker, every_frame=blink_asked)

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
            # One heavy stage per frame: a frame that ran a detector (the count
            # while a blink is asked, a confirmation, a face found again) keeps
            # no chip and takes no descriptor; they wait for the next good frame.
            self._identity(fa, t, image, defer=fa.detected)
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
            verdicts.decide(self.engine, s, self.references)
            return
        self._check_timeout(t)

    def _action(self, row: list[float], aligned: np.ndarray) -> None:
        """One face row while an action is due: hold still, or do the action."""
        s, cfg = self.s, self.cfg
        action = self.challenge.actions[s.index]
        t = row[0]
        if s.prompt.revealed_at is None:
            prompting.hold(cfg, s, row)
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
            and not s.det.reacted
            and self.challenge.reaction_seconds is not None
            and s.prompt.revealed_at is not None
            and (s.det.t_neutral or t)
            > prompting.began_by(cfg, self.challenge, s, s.prompt.revealed_at)
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

    def _identity(
        self, fa: FrameAnalysis, t: float, image: Any, *, defer: bool = False
    ) -> None:
        """Keep the anchor chip, take the descriptors asked for; ``defer``: this
        frame has had its heavy stage, they wait for the next good frame."""
        s, cfg = self.s, self.cfg
        ident = s.identity
        if ident.anchor is None and not ident.descs and not ident.need_desc:
            # The session's identity: a chip of the first good frame. Its
            # descriptor (66 ms) is computed when first compared.
            if ident.anchor_since is None:
                ident.anchor_since = t
            if not defer and identity.good_for_descriptor(
                cfg, s, fa, t, ident.anchor_since
            ):
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
            if not defer and identity.good_for_descriptor(
                cfg, s, fa, t, ident.need_since
            ):
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
        verdicts.check_timeout(self.engine, self.challenge, self.references, self.s, t)

    def _fail_liveness(self, detail: str) -> None:
        verdicts.fail_liveness(self.engine, self.s, self.references, detail)

    def _set_verdict(self, code: str, detail: str | None = None) -> None:
        verdicts.set_verdict(self.s, code, detail=detail)
