"""LifeCert face engine: enrolment, frame analysis, action liveness and matching.

A plain Python package (no Django). See ``faceverify/README.md`` for the contract.
"""

from .challenge import ACTION_LABELS, ACTIONS, Challenge
from .engine import (
    Engine,
    EngineConfig,
    Enrolment,
    FrameAnalysis,
    descriptor_distance,
    load_engine,
)
from .errors import EnrolError, FaceError, FrameError
from .results import (
    COACHING,
    NOT_COUNTED,
    VERDICT_CODES,
    VERDICT_MESSAGES,
    Progress,
    Verdict,
    verdict_message,
)
from .state import STATE_VERSION, SessionState, StateVersionError
from .verifier import Verifier

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "COACHING",
    "NOT_COUNTED",
    "STATE_VERSION",
    "VERDICT_CODES",
    "VERDICT_MESSAGES",
    "Challenge",
    "Engine",
    "EngineConfig",
    "EnrolError",
    "Enrolment",
    "FaceError",
    "FrameAnalysis",
    "FrameError",
    "Progress",
    "SessionState",
    "StateVersionError",
    "Verdict",
    "Verifier",
    "descriptor_distance",
    "load_engine",
    "verdict_message",
]
