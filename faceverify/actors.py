"""Fake people for tests and benchmarks, made of real clip segments.

The people are :mod:`faceverify.cast` (each a :class:`Performer` made of real
clip segments; re-exported here).

Actors give the JPEG a camera shows at client time ``t`` (seconds):

* :class:`Responder`, a genuine person: neutral while waiting; when a prompt
  reaches the browser (``prompted``), after a human reaction delay, the action's
  real segment in real time, then neutral again.
* :class:`Recording`, a replay that ignores prompts: fixed frames from a start
  offset (a whole clip, or neutral with actions at fixed times).
* :class:`RetimedRecording`, a replay that plays the actions at the prompt times
  seen in an earlier session, whatever this session prompts.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .cast import (
    CAP12,
    CAP13,
    CASTS,
    HEAD_TURN,
    MOUTH_OPEN,
    NOD,
    QUALITY,
    REACTION_SECONDS,
    RETRY_SECONDS,
    SLOW_REACTION_SECONDS,
    TALKING_HEADS,
    TALKING_MAN,
    TALKING_MAN_BLINKS,
    WEBCAM_MAN,
    WIDTH,
    WOMAN,
    WOMAN_BLINKS,
    Cast,
    Footage,
    Performer,
    Span,
    blink_performers,
    clip_footage,
    jpeg,
    performer,
    webcam_man,
)

__all__ = [
    "CAP12",
    "CAP13",
    "CASTS",
    "HEAD_TURN",
    "MOUTH_OPEN",
    "NOD",
    "QUALITY",
    "REACTION_SECONDS",
    "RETRY_SECONDS",
    "SLOW_REACTION_SECONDS",
    "TALKING_HEADS",
    "TALKING_MAN",
    "TALKING_MAN_BLINKS",
    "WEBCAM_MAN",
    "WIDTH",
    "WOMAN",
    "WOMAN_BLINKS",
    "Actor",
    "Cast",
    "Footage",
    "Performer",
    "Play",
    "Recording",
    "Responder",
    "RetimedRecording",
    "Span",
    "blink_performers",
    "clip_footage",
    "jpeg",
    "performer",
    "slow_responder",
    "webcam_man",
]

# ---------------------------------------------------------------- actors


class Actor(Protocol):
    """What a camera shows: told of prompts, asked for the frame at ``t``."""

    def prompted(self, action: str | None, at: float) -> None: ...

    def frame(self, t: float) -> bytes: ...


@dataclass(frozen=True)
class Play:
    """An action segment that starts at client time ``start``."""

    start: float
    action: str
    footage: Footage

    @property
    def end(self) -> float:
        return self.start + self.footage.seconds


def _neutral_at(neutral: Footage, t: float) -> bytes:
    """Neutral frames back and forth (0 1 2 … n-1 n-2 … 1 0 1 …): a face at
    rest, with the small movements of a live person and no jump at the ends."""
    n = len(neutral.frames)
    if n == 1:
        return neutral.frames[0]
    period = 2 * (n - 1)
    k = math.floor(max(0.0, t) * neutral.fps) % period
    return neutral.frames[k if k < n else period - k]


@dataclass
class _Scheduled:
    """Neutral frames, and the action segments of ``plays`` at their times."""

    performer: Performer
    plays: list[Play] = field(default_factory=list)

    def _schedule(self, action: str, start: float) -> Play | None:
        footage = self.performer.actions.get(action)
        if footage is None:
            return None  # this person cannot do it: stays as they are
        play = Play(start, action, footage)
        self.plays.append(play)
        return play

    def frame(self, t: float) -> bytes:
        for play in self.plays:
            if play.start <= t < play.end:
                return play.footage.at(t - play.start)
        return _neutral_at(self.performer.neutral, t)


class Responder(_Scheduled):
    """A genuine person who acts on each prompt after ``reaction_seconds``.

    ``prompted(action, at)``: the browser showed ``action`` at client time
    ``at`` (call it with every server response: the same action again is not a
    new prompt; ``None`` is no prompt). The segment starts at ``at + reaction``
    (plus up to ``jitter_seconds``, drawn from ``rng``), or when the movement
    under way ends. Still prompted ``retry_seconds`` after the movement ended
    (``None``: never), the person does it again, as people do.
    """

    def __init__(
        self,
        performer: Performer,
        *,
        reaction_seconds: float = REACTION_SECONDS,
        jitter_seconds: float = 0.0,
        retry_seconds: float | None = RETRY_SECONDS,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(performer)
        self.reaction_seconds = reaction_seconds
        self.jitter_seconds = jitter_seconds
        self.retry_seconds = retry_seconds
        self.rng = rng or random.Random()
        self.action: str | None = None
        self.prompts: list[tuple[float, str | None]] = []

    def _busy_until(self) -> float:
        return max((p.end for p in self.plays), default=-math.inf)

    def prompted(self, action: str | None, at: float) -> None:
        if action == self.action:
            last = self.plays[-1] if self.plays else None
            if (
                action is not None
                and self.retry_seconds is not None
                and last is not None
                and last.action == action
                and at - last.end >= self.retry_seconds
            ):
                self._schedule(action, at)
            return
        self.action = action
        self.prompts.append((at, action))
        if action is None:
            return
        delay = self.reaction_seconds + self.rng.uniform(0.0, self.jitter_seconds)
        self._schedule(action, max(at + delay, self._busy_until()))


def slow_responder(
    performer: Performer, *, rng: random.Random | None = None
) -> Responder:
    """An elderly person: two seconds before each movement begins."""
    return Responder(performer, reaction_seconds=SLOW_REACTION_SECONDS, rng=rng)


class Recording:
    """A video that plays whatever the prompts: ``footage`` from ``start``.

    Before ``start`` and after the end it shows the first and last frame
    (``loop=True``: it starts again from the beginning instead).
    """

    def __init__(self, footage: Footage, *, start: float = 0.0, loop: bool = False):
        self.footage, self.start, self.loop = footage, start, loop

    def prompted(self, action: str | None, at: float) -> None:
        """A recording does not listen."""

    def frame(self, t: float) -> bytes:
        offset = t - self.start
        if self.loop:
            offset %= self.footage.seconds
        return self.footage.at(offset)

    @classmethod
    def scripted(
        cls,
        performer: Performer,
        script: Sequence[tuple[float, str]],
        *,
        seconds: float,
        start: float = 0.0,
    ) -> Recording:
        """Neutral frames with ``(at, action)`` segments at fixed times, as one
        ``seconds`` long video (a recording of an earlier, genuine session)."""
        timeline = _Scheduled(performer)
        for at, action in script:
            timeline._schedule(action, at)
        fps = performer.neutral.fps
        frames = tuple(timeline.frame(k / fps) for k in range(round(seconds * fps)))
        return cls(Footage(frames, fps), start=start)


class RetimedRecording(_Scheduled):
    """A replay that plays each action seen in an earlier session at the offset
    (from that session's start) its prompt came then, plus ``reaction_seconds``.

    ``seen``: ``(offset, action)`` of the prompts observed before; ``start``:
    the client time this session began. The prompts of this session are ignored.
    """

    def __init__(
        self,
        performer: Performer,
        seen: Sequence[tuple[float, str]],
        *,
        start: float = 0.0,
        reaction_seconds: float = REACTION_SECONDS,
    ) -> None:
        super().__init__(performer)
        for offset, action in seen:
            self._schedule(action, start + offset + reaction_seconds)

    def prompted(self, action: str | None, at: float) -> None:
        """Replays do not listen."""
