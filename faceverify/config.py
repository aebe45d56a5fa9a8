"""Every threshold of the engine, as one frozen value the web layer builds."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class EngineConfig:
    """Every threshold of the engine. The web layer passes values read from settings.

    Angles are in degrees of this engine's head-pose estimate; action thresholds are
    relative to the per-session baseline (a still, near-frontal ``baseline_seconds``).
    """

    models_dir: str | None = None
    landmark_backend: str = "dlib-68"
    # Matching: Euclidean distance between 128-d descriptors.
    match_threshold: float = 0.55
    # Two descriptors of one session further apart than this mean another face.
    change_threshold: float = 0.6
    per_action_seconds: float = 8.0
    session_seconds: float = 120.0
    # Baseline: taken from the first window of this many seconds (>= 3 face frames)
    # in which the face is still and near-frontal: head pose and nose offset
    # within the spreads below, eye ratio not dipping (no blink, not settling),
    # mouth not held open,
    # |yaw| and |nose offset| within the frontal limits. Until then the user is
    # coached (请正对摄像头) and the first action's time does not run; a face that
    # never settles ends in liveness_failed (no_baseline) after
    # ``baseline_max_seconds``.
    baseline_seconds: float = 0.24
    baseline_yaw_spread: float = 4.0
    baseline_pitch_spread: float = 5.0
    baseline_offset_spread: float = 0.06
    baseline_min_ear_ratio: float = 0.75
    # ... and the window's eyes at least this open relative to the last second's
    # open level (upper quantile): not while reopening from a blink.
    baseline_open_eye_ratio: float = 0.9
    baseline_max_mouth: float = 0.2  # mouth ratio (lower quantile): not mid-action
    baseline_frontal_yaw: float = 12.0
    baseline_frontal_offset: float = 0.18
    baseline_max_seconds: float = 30.0
    # The open-eye and closed-mouth references: over the face frames of the last
    # this many seconds up to the window (upper EAR quantile, lowest mouth ratio).
    baseline_ref_seconds: float = 1.0
    # Input limits (bytes and decoded pixels).
    max_image_bytes: int = 20_000_000
    max_pixels: int = 40_000_000
    max_frame_bytes: int = 3_000_000
    max_frame_pixels: int = 4_200_000
    # Detection: frames are detected on a grey copy about this wide.
    detect_width: int = 320
    enrol_detect_side: int = 1280
    # Enrolment quality.
    min_enrol_face_px: int = 80
    min_brightness: float = 45.0
    min_sharpness: float = 12.0
    max_enrol_yaw: float = 22.0
    # Live session quality (coaching).
    min_face_frac: float = 0.18
    # Dim rooms and cheap webcams: a camera frame whose mean grey level is under
    # ``low_light_mean`` is brightened for the analysis (gain up to
    # ``low_light_max_gain`` towards ``low_light_target``, with a 5x5 blur when
    # the gain is high, so that the amplified sensor noise does not shake the
    # landmarks). Below ``too_dark_mean`` a frame without a face is coached to
    # find light; below ``dim_hint_mean`` the same advice is shown while the
    # session goes on (the descriptor of so dark a picture drifts).
    low_light_mean: float = 70.0
    low_light_target: float = 110.0
    low_light_max_gain: float = 6.0
    too_dark_mean: float = 15.0
    dim_hint_mean: float = 25.0
    # Fair verdicts: a descriptor of a face darker (mean grey of the face box
    # before the lift), blurrier or smaller than these is not reliable: a
    # session whose descriptors are such and that does not match ends in
    # ``poor_capture`` (coached, not counted), never ``mismatch``. Measured with
    # bench/bench_light.py (docs/benchmarks.md).
    reliable_face_light: float = 40.0
    # Such a session passes only this close (genuine and impostor distances
    # come closer in the dark: at x0.22 light, genuine sessions measured up to
    # 0.54, impostor sessions from 0.65, single impostor frames from 0.56);
    # further, at any distance, it is poor_capture.
    poor_match_threshold: float = 0.52
    # Focus (geometry.focus: edge steepness over grey range, blind to noise and
    # size): plain frames of every person of the clips read 1.38 or more (at
    # 640x480 and 320x240, JPEG quality 85 and 40); the webcam man blurred
    # sigma 2 (genuine up to 0.48) 1.23-1.60, sigma 3 1.09-1.32, sigma 4
    # (genuine up to 0.65) 0.93-1.12. Faces 0.18 of the frame wide matched as
    # near ones; at 0.11 none was found.
    reliable_focus: float = 1.2
    reliable_face_frac: float = 0.12
    # Actions.
    blink_close_ratio: float = 0.68
    blink_open_ratio: float = 0.85
    blink_max_closed_seconds: float = 2.0
    mouth_open_delta: float = 0.22
    # A turn needs both head-pose cues, relative to the baseline, in the asked
    # direction: the nose offset (geometry.yaw_offset, in eye distances) past
    # ``turn_offset`` and the solvePnP yaw past ``turn_pnp_fraction`` x
    # ``turn_degrees``; back to neutral means both within ``return_fraction``.
    turn_degrees: float = 12.0
    turn_offset: float = 0.14
    turn_pnp_fraction: float = 0.5
    nod_degrees: float = 18.0
    return_fraction: float = 0.5
    # Tracking. The box follows the landmarks; HOG on a small crop around it runs
    # only when the landmarks drift or the face's look jumps (and, if
    # ``recheck_every`` > 0, also every that many frames).
    recheck_every: int = 0
    full_detect_seconds: float = 1.0
    lost_after_misses: int = 3
    multi_face_checks: int = 3
    # Identity within a session: descriptors are taken of the first good frame
    # (kept as a small face chip, computed when first needed), at the end, when a
    # continuity signal fires and at least every ``descriptor_every_seconds``.
    descriptor_every_seconds: float = 10.0
    max_descriptors: int = 6
    # Continuity between consecutive face frames (cheap, every frame): correlation
    # of the 32x32 aligned face, and the jump of the face centre (in inter-ocular
    # distances per frame) and of its scale.
    continuity_ncc: float = 0.6
    continuity_jump: float = 1.0
    continuity_scale: float = 1.35
    # No longer used (the landmark-rigidity series was dropped); kept so that
    # configurations naming it still load.
    min_nonrigidity: float = 0.0
    # A turn, nod or open mouth counts only if the frame at its peak cannot be
    # explained as the first-second picture moved as a plane (ECC correlation).
    planar_rho: float = 0.95
    # That check's ECC iterations a frame: this many of the affine model (~0.11
    # ms each) or half as many of the homography (~0.19 ms each), about 1 ms, so
    # that a frame of landmarks and the check stays under 8 ms. The answer is the
    # same whatever the share (docs/benchmarks.md, "The planar check: ...").
    planar_iterations_per_frame: int = 8
    # Prompts the server times. No one reaches an action's peak sooner than this
    # after hearing its prompt: a faster peak began before the prompt.
    min_reaction_seconds: float = 0.4
    # While an action is held back, any action-sized movement starts the hold
    # again; a face that never keeps still this long ends in liveness_failed.
    quiet_max_seconds: float = 20.0
    # During the hold a turn half-way to its peak already counts as moving: a
    # person asked to keep still does not start turning; a looping video of
    # someone turning left and right is never still for a whole hold.
    hold_turn_level: float = 0.5
    # The hold is seen through, not sampled: the face must be measured at least
    # this often while a prompt is held back. The browser measures it about once
    # a second then (2 frames a second, one of them the once-a-second face count,
    # which measures no landmarks); 2.5 s allows a lost frame. A longer gap (frames
    # the client left out: a video's moving stretches, say) starts the hold again,
    # and the prompt is revealed only if the face was measured within this of
    # the hold's end.
    hold_max_gap: float = 2.5
    # A nod asked while the head was still raised: the head first relaxes (down
    # by more than a nod) and rests there. Steady this long after that "peak",
    # it is a new rest: done if it went a nod deeper and came back to it, else
    # the nod is measured from there (a nod's turn at the bottom is shorter).
    nod_rest_seconds: float = 1.0
    # A movement must begin (leave the neutral band) within the challenge's
    # ``reaction_seconds`` of its prompt, plus the round trip the session's
    # requests show (up to ``latency_allowance_max``: the prompt reaches the
    # browser and the frames reach the server that much later), and reach its
    # peak within ``onset_to_peak_max`` of beginning.
    latency_allowance_max: float = 1.5
    # The round trip is the longest of the session's last this many requests.
    latency_window: int = 4
    onset_to_peak_max: float = 2.0
    # Head movements other than the asked one (turning when asked to nod, the
    # other way): this many end the session (a recording does what it shows).
    max_wrong_moves: int = 1

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the configuration."""
        return asdict(self)
