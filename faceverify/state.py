"""The verifier's session state: typed, with a versioned JSON form.

Any worker continues a session from the JSON value saved after the previous
batch of frames (``SessionState.to_json`` / ``SessionState.from_json``). The
value holds plain Python types only (``json.dumps`` needs no hook).

Biometric parts (face crops, the face chip, descriptors) live in ``identity``,
``replay`` and the detector's neutral crop; :meth:`SessionState.scrub` drops them
all once the session has its verdict.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .results import Verdict

STATE_VERSION = 4

# A measurement row of one face frame: t, eye ratio, mouth ratio, yaw, pitch,
# nose offset (see ``baseline.sample``).
Row = list[float]


class StateVersionError(ValueError):
    """A state saved by another version of the protocol: the session must restart."""


@dataclass
class Baseline:
    """The neutral face every action threshold is relative to."""

    ear: float
    mar: float
    yaw: float
    pitch: float
    off: float


@dataclass
class Detector:
    """Scratch of the current action's detector (reset for every action)."""

    neutral: bool = False
    peak: bool = False
    t_peak: float = 0.0
    ncrop: str | None = None  # base64 64x64 crop of a clearly neutral frame
    recent: list[list[float]] = field(default_factory=list)  # blink: [t, ear]
    prev_mar: float | None = None
    wrong: bool = False  # a head movement other than the asked one is under way
    t_neutral: float | None = None  # the last neutral frame: the movement's onset
    # A nod: the pitch the head rested at when asked (the baseline's, or where
    # the head has settled since), and the furthest pitch from it so far.
    ref_pitch: float | None = None
    extreme: float | None = None
    # The asked movement has begun in time (a head that relaxed from a raised
    # pose when asked, and nods from its new rest after).
    reacted: bool = False


@dataclass
class Prompting:
    """When the current action became due, and when it was asked for.

    ``armed_at``: the face became still and neutral for this action (server
    seconds); the prompt is revealed ``hold`` seconds later, at the server's
    ``advance``. ``revealed_at``: when it was revealed (None while holding).
    """

    armed_at: float | None = None
    first_armed: float | None = None
    # The last face frame measured while the action was held back.
    seen_at: float | None = None
    revealed_at: float | None = None
    unprompted: int = 0
    wrong: int = 0
    # Where the head came to rest when the baseline pitch was moved there
    # (prompting.resettle_pitch): the hold's stillness is judged from it.
    rest_yaw: float | None = None
    rest_off: float | None = None
    # The round trip the session's requests show: from an answer leaving
    # (``last_now``) to the newest frame of the next batch arriving; ``gaps``
    # holds the last few, ``rtt`` the longest of them (how late frames arrive
    # now: on a thin upload it grows with the batch, so the quickest request
    # of the session would understate it).
    last_now: float | None = None
    rtt: float | None = None
    gaps: list[float] = field(default_factory=list)

    def rearmed(self, t: float) -> Prompting:
        """The state of an action due from ``t``: held again, not revealed; the
        counters and the session's measured round trip carry over."""
        return replace(self, armed_at=t, first_armed=t, revealed_at=None)


@dataclass
class Continuity:
    """The previous face frame, for the cheap same-face check."""

    crop: str  # base64 32x32 aligned face
    c: list[float]
    iod: float
    size: list[int]


@dataclass
class Identity:
    """Who is in front of the camera through the session."""

    descs: list[list[float]] = field(default_factory=list)
    # Per descriptor (same order): "" for a reliable capture, else why not
    # ("dark", "blur", "far"; identity.capture_quality).
    poor: list[str] = field(default_factory=list)
    anchor: str | None = None  # base64 JPEG face chip of the first good frame
    anchor_poor: str = ""
    anchor_since: float | None = None
    need_desc: str | None = None
    need_since: float | None = None
    last_desc_t: float | None = None
    doubt: bool = False
    cont: Continuity | None = None
    triggers: int = 0


@dataclass
class PlanarCheck:
    """A pending check that an action's peak is not a flat picture moved."""

    i: int
    ref: str
    cur: str
    job: dict[str, Any] | None = None
    rows: list[int] | None = None  # compare only these rows of the crops


@dataclass
class Replay:
    """The passive anti-replay check's reference and pending checks."""

    ref_crop: str | None = None
    canon: list[list[float]] | None = None
    planar_peaks: int = 0
    checks: list[PlanarCheck] = field(default_factory=list)


@dataclass
class SessionState:
    """Everything a verifier remembers between frames."""

    v: int = STATE_VERSION
    tracker: dict[str, Any] = field(default_factory=dict)  # the engine's tracker
    frames: int = 0
    face_frames: int = 0
    start_t: float | None = None
    last_t: float | None = None
    pending: list[Row] = field(default_factory=list)  # baseline window
    hist: list[Row] = field(default_factory=list)  # the last second's rows
    baseline: Baseline | None = None
    index: int = 0
    done: list[str] = field(default_factory=list)
    det: Detector = field(default_factory=Detector)
    prompt: Prompting = field(default_factory=Prompting)
    identity: Identity = field(default_factory=Identity)
    replay: Replay = field(default_factory=Replay)
    multi_run: int = 0
    had_face: bool = False
    coaching: str | None = None
    face_ok: bool = False
    verdict: Verdict | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form (plain dicts, lists, numbers, strings, None).

        Built field by field, each mutable part copied (``dataclasses.asdict``
        deep-copies every leaf value, which took 1.5 ms of a 34 KB state on
        each request); the same value, sharing nothing with the state.
        """
        ident, rep, det = self.identity, self.replay, self.det
        cont = ident.cont
        data = dict(vars(self))
        data.update(
            tracker=copy.deepcopy(self.tracker),
            pending=_rows(self.pending),
            hist=_rows(self.hist),
            baseline=None if self.baseline is None else dict(vars(self.baseline)),
            done=list(self.done),
            det={**vars(det), "recent": _rows(det.recent)},
            prompt={**vars(self.prompt), "gaps": list(self.prompt.gaps)},
            identity={
                **vars(ident),
                "descs": _rows(ident.descs),
                "poor": list(ident.poor),
                "cont": None
                if cont is None
                else {**vars(cont), "c": list(cont.c), "size": list(cont.size)},
            },
            replay={
                **vars(rep),
                "canon": None if rep.canon is None else _rows(rep.canon),
                "checks": [
                    {
                        **vars(c),
                        "job": copy.deepcopy(c.job),
                        "rows": None if c.rows is None else list(c.rows),
                    }
                    for c in rep.checks
                ],
            },
            verdict=None if self.verdict is None else asdict(self.verdict),
        )
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionState:
        """Inverse of :meth:`to_json`; another version raises StateVersionError."""
        if data.get("v") != STATE_VERSION:
            raise StateVersionError(f"state version {data.get('v')!r}")
        ident = dict(data["identity"])
        cont = ident.pop("cont")
        replay = dict(data["replay"])
        checks = [PlanarCheck(**c) for c in replay.pop("checks")]
        verdict = data.get("verdict")
        base = data.get("baseline")
        return cls(
            v=STATE_VERSION,
            tracker=dict(data["tracker"]),
            frames=int(data["frames"]),
            face_frames=int(data["face_frames"]),
            start_t=data["start_t"],
            last_t=data["last_t"],
            pending=[list(r) for r in data["pending"]],
            hist=[list(r) for r in data["hist"]],
            baseline=None if base is None else Baseline(**base),
            index=int(data["index"]),
            done=list(data["done"]),
            det=Detector(**data["det"]),
            prompt=Prompting(**data["prompt"]),
            identity=Identity(
                **ident, cont=None if cont is None else Continuity(**cont)
            ),
            replay=Replay(**replay, checks=checks),
            multi_run=int(data["multi_run"]),
            had_face=bool(data["had_face"]),
            coaching=data["coaching"],
            face_ok=bool(data["face_ok"]),
            verdict=None if verdict is None else Verdict(**verdict),
        )

    def scrub(self) -> None:
        """Drop every biometric value: crops, the chip, descriptors, the tracker."""
        self.tracker = {}
        self.pending, self.hist = [], []
        self.det = Detector()
        self.identity = Identity(triggers=self.identity.triggers)
        self.replay = Replay(planar_peaks=self.replay.planar_peaks)


def _rows(rows: list[list[float]]) -> list[list[float]]:
    return [list(r) for r in rows]
