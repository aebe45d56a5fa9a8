"""Fixtures shared by the web layer's and the engine's tests.

The people of the test clips (``faceverify.actors``) reach the ``lifecert``
tests through these fixtures, so that the web layer itself keeps one seam to
the engine (``lifecert/certification/face.py``).
"""

import os
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def actors() -> ModuleType:
    """``faceverify.actors``: Responder, Recording, RetimedRecording, performers."""
    from faceverify import actors as module

    return module


@pytest.fixture(scope="session")
def webcam_man(actors: ModuleType) -> object:
    """The webcam man of the shared clips as a performer (skips without them)."""
    here = Path(__file__).resolve().parent
    shared = Path(os.environ.get("LIFECERT_SHARED_DIR", here.parent / "shared"))
    if not (shared / "media").is_dir():
        pytest.skip(f"test media not found under {shared} (set LIFECERT_SHARED_DIR)")
    return actors.webcam_man(shared)


@pytest.fixture(scope="session")
def engine_sentences() -> list[str]:
    """Every sentence the engine shows and the page speaks: verdicts, coaching,
    the prompt lines while no action is asked."""
    from faceverify import results

    return [
        *results.VERDICT_MESSAGES.values(),
        *results.COACHING.values(),
        results.PROMPT_SETTLE,
        results.PROMPT_HOLD,
    ]
