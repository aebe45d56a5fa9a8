"""How long the five actions take in the real clips: onset to peak, peak to back.

The reaction window of a server-timed prompt (FACE_REACTION_SECONDS: from the
prompt to the action's peak) is the time to hear the prompt, to start moving and
to reach the peak. The clips in ``../shared/media`` show the last part; this
measures it with the engine's own action measures (faceverify.actions.measure,
relative to a baseline of the clip's first still frames): onset = the last
frame within the return band before the peak, peak = the first frame past the
action's threshold, back = the first frame within the band after it.

    .venv/bin/python bench/bench_reaction.py
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faceverify import EngineConfig, load_engine  # noqa: E402
from faceverify.actions import measure  # noqa: E402
from faceverify.baseline import sample  # noqa: E402
from faceverify.media import read_clip  # noqa: E402
from faceverify.state import Baseline  # noqa: E402

# (clip, action, baseline frames): SOURCES.md's annotated actions.
CLIPS = [
    ("head_turn/webcam_man_turn_left_right.mp4", "turn_right", (0, 15)),
    ("head_turn/webcam_man_turn_left_right.mp4", "turn_left", (0, 15)),
    ("nod/webcam_man_nod_down_up.mp4", "nod", (0, 12)),
    ("mouth_open/webcam_man_open_mouth_twice.mp4", "open_mouth", (0, 8)),
    ("multi_action/webcam_man_talk_turn_nod.mp4", "turn_right", (470, 486)),
    ("multi_action/webcam_man_talk_turn_nod.mp4", "nod", (470, 486)),
    ("multi_action/webcam_man_mouth_turn.mp4", "turn_right", (480, 496)),
]


def shared_dir() -> Path:
    return Path(os.environ.get("LIFECERT_SHARED_DIR", ROOT.parent / "shared"))


def main() -> None:
    engine = load_engine(EngineConfig())
    cfg = engine.config
    rows = []
    for clip, action, (b0, b1) in CLIPS:
        frames, fps = read_clip(shared_dir() / "media" / clip)
        series = []
        for i, frame in enumerate(frames):
            fa = engine.analyse_frame(frame)
            series.append(None if not fa.has_face else sample(i / fps, fa))
        base = [r for r in series[b0:b1] if r is not None]
        med = sorted(base, key=lambda r: r[4])[len(base) // 2]
        b = Baseline(ear=med[1], mar=min(r[2] for r in base), yaw=med[3],
                     pitch=med[4], off=med[5])  # fmt: skip
        scores = [None if r is None else measure(cfg, b, action, r) for r in series]
        for i in range(b1, len(scores)):
            if scores[i] is None or scores[i][0] < 1.0:
                continue
            onset = next(
                (j for j in range(i, b0, -1)
                 if scores[j] is not None and scores[j][1] <= cfg.return_fraction),
                None,
            )  # fmt: skip
            back = next(
                (j for j in range(i, len(scores))
                 if scores[j] is not None and scores[j][1] <= cfg.return_fraction),
                None,
            )  # fmt: skip
            if onset is not None:
                rows.append({
                    "clip": clip, "action": action,
                    "onset_to_peak_s": round((i - onset) / fps, 2),
                    "peak_to_back_s": (
                        None if back is None else round((back - i) / fps, 2)
                    ),
                })  # fmt: skip
            break
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    peak = max(r["onset_to_peak_s"] for r in rows)
    back = max(r["peak_to_back_s"] or 0 for r in rows)
    summary = {"benchmark": "action_durations", "actions": len(rows)}
    summary.update({"max_onset_to_peak_s": peak, "max_peak_to_back_s": back})
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
