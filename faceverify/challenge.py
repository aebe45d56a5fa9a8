"""Liveness challenges: a random order of 2-3 actions with time limits."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from typing import Any

ACTIONS: tuple[str, ...] = ("blink", "open_mouth", "turn_left", "turn_right", "nod")
# Movements of the head. Every drawn challenge has one: a blink and an open
# mouth alone are what any video of someone talking shows by itself.
HEAD_MOVES: tuple[str, ...] = ("turn_left", "turn_right", "nod")

# turn_left / turn_right are from the user's point of view: "turn_left" means the
# person turns their head to their own left. In the raw (unmirrored) camera frame the
# nose then moves towards the image RIGHT; in a mirrored selfie preview it moves to
# the screen's left, which is what the user sees.
ACTION_LABELS: dict[str, str] = {
    "blink": "请眨眨眼",
    "open_mouth": "请张张嘴",
    "turn_left": "请向左转头",
    "turn_right": "请向右转头",
    "nod": "请点点头",
}


@dataclass(frozen=True)
class Challenge:
    """The actions to perform, in order, and the time allowed.

    ``holds``: for each action, how long the face must stay still after it
    became due before the server reveals its prompt (secret; a recording cannot
    foresee when it is asked). ``reaction_seconds``: the action's peak must come
    within this long of the prompt (None: ``per_action_seconds`` only). The web
    layer draws both; a challenge built with neither prompts each action as
    soon as the face is ready, as the engine's clip tests need.
    """

    actions: tuple[str, ...]
    per_action_seconds: float = 8.0
    session_seconds: float = 120.0
    holds: tuple[float, ...] = ()
    reaction_seconds: float | None = None

    def __post_init__(self) -> None:
        acts = tuple(self.actions)
        object.__setattr__(self, "actions", acts)
        if not 1 <= len(acts) <= len(ACTIONS):
            raise ValueError("a challenge needs 1 to 5 actions")
        unknown = [a for a in acts if a not in ACTIONS]
        if unknown:
            raise ValueError(f"unknown actions: {unknown}")
        if len(set(acts)) != len(acts):
            raise ValueError("actions must be distinct")
        if self.per_action_seconds <= 0 or self.session_seconds <= 0:
            raise ValueError("time limits must be positive")
        holds = tuple(float(h) for h in self.holds)
        object.__setattr__(self, "holds", holds)
        if holds and (len(holds) != len(acts) or min(holds) < 0):
            raise ValueError("one hold (>= 0 s) per action")
        if self.reaction_seconds is not None and self.reaction_seconds <= 0:
            raise ValueError("reaction_seconds must be positive")

    def hold(self, index: int) -> float:
        """The still time before the prompt of action ``index``."""
        return self.holds[index] if self.holds else 0.0

    @classmethod
    def random(
        cls,
        rng: random.Random | None = None,
        count: int | None = None,
        per_action_seconds: float = 8.0,
        session_seconds: float = 120.0,
        *,
        pool: tuple[str, ...] = ACTIONS,
        hold_range: tuple[float, float] = (0.0, 0.0),
        reaction_seconds: float | None = None,
    ) -> Challenge:
        """2-3 distinct actions of ``pool`` in random order, at least one of them
        a head movement when the pool has one, with random holds.

        ``secrets.SystemRandom`` by default.
        """
        rng = rng or secrets.SystemRandom()
        n = count if count is not None else rng.choice((2, 3))
        if not 1 <= n <= len(pool):
            raise ValueError("count must be between 1 and the pool's size")
        picked = rng.sample(pool, n)
        heads = [a for a in pool if a in HEAD_MOVES]
        if heads and not set(picked) & set(heads):
            picked[rng.randrange(n)] = rng.choice(heads)
        low, high = hold_range
        holds = tuple(round(rng.uniform(low, high), 3) for _ in picked)
        return cls(
            tuple(picked),
            per_action_seconds,
            session_seconds,
            holds if high > 0 else (),
            reaction_seconds,
        )

    @property
    def prompts(self) -> list[str]:
        """The Chinese prompt of each action, in order."""
        return [ACTION_LABELS[a] for a in self.actions]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict."""
        return {
            "actions": list(self.actions),
            "per_action_seconds": self.per_action_seconds,
            "session_seconds": self.session_seconds,
            "holds": list(self.holds),
            "reaction_seconds": self.reaction_seconds,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Challenge:
        """Inverse of :meth:`to_dict`."""
        reaction = d.get("reaction_seconds")
        return cls(
            tuple(d["actions"]),
            float(d.get("per_action_seconds", 8.0)),
            float(d.get("session_seconds", 120.0)),
            tuple(d.get("holds", ())),
            None if reaction is None else float(reaction),
        )
