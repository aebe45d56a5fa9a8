"""Fail when branch coverage is under 90 % where STYLE.md asks for it.

Every ``services.py`` and ``access.py`` (the rules and the permission checks)
on its own, and the ``faceverify`` engine as a whole. Reads the ``.coverage``
file the test run left (``pytest --cov``) and prints one line per checked part.
"""

import io
import sys
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parents[1]
MINIMUM = 90.0
FACE_ROOM = ("face.py", "face_sessions.py", "enrolment.py")


def main() -> int:
    cov = coverage.Coverage(data_file=str(ROOT / ".coverage"))
    cov.load()
    parts = sorted(
        str(path.relative_to(ROOT))
        for name in ("services.py", "access.py")
        for path in (ROOT / "lifecert").glob(f"*/{name}")
    )
    # The face-session room and its seam write as services do.
    parts += [f"lifecert/certification/{name}" for name in FACE_ROOM]
    parts.append("faceverify/*")
    failed = []
    for part in parts:
        percent = cov.report(include=[str(ROOT / part)], file=io.StringIO())
        verdict = "ok" if percent >= MINIMUM else f"below {MINIMUM:.0f} %"
        print(f"coverage {percent:5.1f} %  {part}  {verdict}")  # noqa: T201
        if percent < MINIMUM:
            failed.append(part)
    if failed:
        print(  # noqa: T201
            f"Branch coverage under {MINIMUM:.0f} % in: {', '.join(failed)}."
            " Add tests for the missed lines (coverage report -m).",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
