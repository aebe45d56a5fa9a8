"""粤语: every sentence the engine shows has its Cantonese wording in camera.js
(the zh-HK voice would otherwise read the Mandarin sentence character by
character)."""

import re
from pathlib import Path

CAMERA_JS = Path(__file__).resolve().parents[3] / "static" / "js" / "camera.js"


def _cantonese_keys() -> set[str]:
    js = CAMERA_JS.read_text(encoding="utf-8")
    start = js.index("var YUE_LINES = {")
    block = js[start : js.index("};", start)]
    return set(re.findall(r'"([^"]+)":', block))


def test_every_engine_sentence_has_cantonese_wording(engine_sentences):
    keys = _cantonese_keys()
    missing = [line for line in engine_sentences if line not in keys]
    assert missing == [], "camera.js YUE_LINES lacks: " + " / ".join(missing)
