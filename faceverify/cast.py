"""The cast of the fake people: real people of ``../shared/media`` as clip segments.

A :class:`Performer` is one real person: a few still, frontal frames
(``neutral``) and, per liveness action, a segment of a real clip that goes from a
neutral face through the movement and back. Frames are sized as the browser sends
them (480 px wide JPEG, ``static/js/camera.js`` ``LEVELS``). What they do when a
session prompts them is :mod:`faceverify.actors`.

Frame ranges come from ``media/SOURCES.md`` and were checked with the engine
(``analyse_frame``: yaw, pitch, eye and mouth openness, 480 px JPEG q70).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .media import read_clip

WIDTH = 480  # camera.js LEVELS[0]
QUALITY = 70
REACTION_SECONDS = 0.8
SLOW_REACTION_SECONDS = 2.0  # an elderly person who needs the prompt twice
RETRY_SECONDS = 2.5  # still prompted this long after acting: do it again

# The webcam man (CLM cap12 and cap13, same person, room and camera).
HEAD_TURN = "head_turn/webcam_man_turn_left_right.mp4"  # cap12 470-559
NOD = "nod/webcam_man_nod_down_up.mp4"  # cap12 545-644
MOUTH_OPEN = "mouth_open/webcam_man_open_mouth_twice.mp4"  # cap13 380-489
CAP12 = "multi_action/webcam_man_talk_turn_nod.mp4"
CAP13 = "multi_action/webcam_man_mouth_turn.mp4"
WOMAN_BLINKS = "blink/woman_repeated_blinks.mp4"
TALKING_MAN_BLINKS = "blink/talking_man_natural_blinks.mp4"
TALKING_HEADS = tuple(f"talking/talking_head_{n}.mp4" for n in range(1, 5))


@dataclass(frozen=True)
class Span:
    """Frames ``start`` to ``stop - 1`` of a clip (0-based, as OpenCV decodes)."""

    clip: str  # relative to media/
    start: int
    stop: int


@dataclass(frozen=True)
class Cast:
    """Where one person's neutral face and actions are in the clips."""

    name: str
    neutral: Span
    actions: tuple[tuple[str, Span], ...]  # (action, segment)
    enrol: tuple[str, int]  # clip and frame the person is enrolled from


WEBCAM_MAN = Cast(
    name="webcam_man",
    # Still and frontal: yaw -1..1, pitch -33..-31, eyes open, mouth closed
    # (frames 0-2 have the mouth a little open).
    neutral=Span(HEAD_TURN, 3, 15),
    actions=(
        # His own right = image-left: yaw to -16.6, nose offset to -0.24, back to 0.
        ("turn_right", Span(HEAD_TURN, 15, 48)),
        # His own left = image-right: yaw to +14.2, nose offset to +0.24, back to 0.
        ("turn_left", Span(HEAD_TURN, 47, 76)),
        # Head down from pitch -32 to +7 (frames 17-42) and back (51-53); the
        # chin-up half after it is left out.
        ("nod", Span(NOD, 0, 54)),
        # Closed (mouth ratio 0.04), "O" (0.54 at 27-35), closed again at 42-44.
        ("open_mouth", Span(MOUTH_OPEN, 0, 45)),
    ),
    # As the existing tests: another recording (cap13) of the same man.
    enrol=(CAP13, 100),
)

WOMAN = Cast(
    name="woman_blinks",
    # Eyes open (0.36-0.39), mouth closed, pitch -23..-19 (the engine's pose
    # flips to +26 on many of her frames, on 58-59 too; not on these ones).
    neutral=Span(WOMAN_BLINKS, 60, 66),
    # Open at 14-15, shut at 16-19 (eye ratio 0.08), opening at 20, open at 21
    # (the engine reads pitch +27 on the open frames: a pose flip, not a nod).
    actions=(("blink", Span(WOMAN_BLINKS, 14, 22)),),
    enrol=(WOMAN_BLINKS, 60),
)

TALKING_MAN = Cast(
    name="talking_man_blinks",
    # Frontal (yaw -2..0), pitch -12..-9, eyes open 0.35-0.37.
    neutral=Span(TALKING_MAN_BLINKS, 104, 110),
    # Open at 104-112, shut at 113-116 (0.15-0.24), open again at 117-118.
    actions=(("blink", Span(TALKING_MAN_BLINKS, 104, 119)),),
    enrol=(TALKING_MAN_BLINKS, 106),
)

CASTS: dict[str, Cast] = {c.name: c for c in (WEBCAM_MAN, WOMAN, TALKING_MAN)}


@dataclass(frozen=True)
class Footage:
    """JPEG frames and the rate they were filmed at."""

    frames: tuple[bytes, ...]
    fps: float

    @property
    def seconds(self) -> float:
        return len(self.frames) / self.fps

    def at(self, seconds: float) -> bytes:
        """The frame shown ``seconds`` into the footage (held on the last)."""
        index = min(len(self.frames) - 1, max(0, math.floor(seconds * self.fps)))
        return self.frames[index]


@dataclass(frozen=True)
class Performer:
    """One person's neutral frames, action segments and enrolment photo."""

    name: str
    neutral: Footage
    actions: dict[str, Footage]
    enrolment: bytes

    def can(self, action: str) -> bool:
        return action in self.actions

    def still(self) -> Performer:
        """The same person as a still photo: one neutral frame, no actions."""
        return Performer(
            name=f"{self.name}_still",
            neutral=Footage(self.neutral.frames[:1], self.neutral.fps),
            actions={},
            enrolment=self.enrolment,
        )

    def dimmed(self, factor: float, noise: float = 5.0, seed: int = 11) -> Performer:
        """The same person in a dimmer room: every frame's light times
        ``factor`` plus Gaussian sensor noise (sigma ``noise``, fixed ``seed``),
        as ``bench/bench_light.py`` degrades the clips. The enrolment photo is
        left as it was taken (at the counter, in good light)."""
        rng = np.random.default_rng(seed)

        def dim(footage: Footage) -> Footage:
            out = []
            for data in footage.frames:
                image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
                if image is None:
                    raise ValueError(f"{self.name}: a frame is not a JPEG")
                dark = image.astype(np.float32) * factor
                dark += rng.normal(0.0, noise, image.shape)
                out.append(jpeg(np.clip(dark, 0, 255).astype(np.uint8)))
            return Footage(tuple(out), footage.fps)

        return Performer(
            name=f"{self.name}_x{factor:g}",
            neutral=dim(self.neutral),
            actions={a: dim(f) for a, f in self.actions.items()},
            enrolment=self.enrolment,
        )


def jpeg(image: np.ndarray, width: int = WIDTH, quality: int = QUALITY) -> bytes:
    """A frame as the browser sends it: ``width`` px wide JPEG."""
    h, w = image.shape[:2]
    if w != width:
        image = cv2.resize(
            image,
            (width, round(h * width / w)),
            interpolation=cv2.INTER_AREA if w > width else cv2.INTER_LINEAR,
        )
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(buf.tobytes())


@functools.lru_cache(maxsize=32)
def _decoded(path: Path) -> tuple[tuple[np.ndarray, ...], float]:
    frames, fps = read_clip(path)
    if not frames:
        raise ValueError(f"no frames in {path}")
    return tuple(frames), fps


@functools.lru_cache(maxsize=64)
def clip_footage(
    media: Path,
    clip: str,
    start: int = 0,
    stop: int | None = None,
    width: int = WIDTH,
    quality: int = QUALITY,
) -> Footage:
    """Frames ``start:stop`` of ``media/clip`` as browser JPEGs (cached)."""
    frames, fps = _decoded(Path(media) / clip)
    chosen = frames[start:stop]
    if not chosen:
        raise ValueError(f"{clip}: no frames in {start}:{stop}")
    return Footage(tuple(jpeg(f, width, quality) for f in chosen), fps)


@functools.lru_cache(maxsize=16)
def performer(
    cast: Cast, shared_dir: Path, width: int = WIDTH, quality: int = QUALITY
) -> Performer:
    """Build (once per process) the performer of ``cast`` from the shared clips."""
    media = Path(shared_dir) / "media"

    def cut(span: Span) -> Footage:
        return clip_footage(media, span.clip, span.start, span.stop, width, quality)

    clip, index = cast.enrol
    frames, _fps = _decoded(media / clip)
    ok, photo = cv2.imencode(".jpg", frames[index], [cv2.IMWRITE_JPEG_QUALITY, 95])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return Performer(
        name=cast.name,
        neutral=cut(cast.neutral),
        actions={a: cut(s) for a, s in cast.actions},
        enrolment=bytes(photo.tobytes()),
    )


def webcam_man(shared_dir: Path) -> Performer:
    return performer(WEBCAM_MAN, Path(shared_dir))


def blink_performers(shared_dir: Path) -> list[Performer]:
    return [performer(c, Path(shared_dir)) for c in (WOMAN, TALKING_MAN)]
