"""Fail when a module of LifeCert is under 90 % branch coverage.

By package, not by file name (STYLE.md §1.7): every module of ``lifecert`` is
gated on its own, whatever its name, so no module that writes (a service, an
import, the face room, the admin, a management command) escapes the gate; the
``faceverify`` engine (no Django, no database) is gated as one package. A
module the tests never import counts as 0 %. Not gated: migrations and tests
(not measured, ``[tool.coverage.run]``) and the few modules in ``NOT_GATED``,
each with its reason. Reads the ``.coverage`` file the test run left
(``pytest --cov``) and prints one line per gated part.
"""

import io
import sys
from pathlib import Path

import coverage
from coverage.exceptions import NoDataError

ROOT = Path(__file__).resolve().parents[1]
MINIMUM = 90.0
ENGINE = "faceverify"

NOT_GATED = {
    "lifecert/settings.py": "configuration: its production guards run in a"
    " subprocess (test_deploy_settings), which coverage does not follow",
    "lifecert/wsgi.py": "the gunicorn entry point, run by gunicorn only (a subprocess"
    " test checks that it freezes the loaded app: core/tests/test_collector.py)",
    "lifecert/conftest.py": "test code (pytest fixtures)",
    "lifecert/core/pytest_env.py": "test code (the test run's environment)",
    "lifecert/demo/testing.py": "test code (factories the tests call)",
    "lifecert/core/bulk.py": "half of it per database (COPY on PostgreSQL,"
    " executemany on SQLite; the datetime and JSON values shared_value turns to"
    " text come only from PostgreSQL), so no one run reaches 90 %; each"
    " database's run writes through it (every evidence batch, the audit rows a"
    " bulk writer links as it writes: core/tests/test_audit_chain.py)",
    "lifecert/demo/loader.py": "the demo-data bulk loader (refuses production): a"
    " quarter of it is per database (COPY and foreign keys on PostgreSQL,"
    " executemany on SQLite), so no one run reaches 90 %; each database's run"
    " loads demo data through it (test_safety_nets, test_bulk_seed_*)",
}


def lifecert_modules() -> list[str]:
    """Every Python module of ``lifecert``, migrations and tests left out."""
    found = []
    for path in (ROOT / "lifecert").rglob("*.py"):
        relative = path.relative_to(ROOT)
        if not {"migrations", "tests"} & set(relative.parts):
            found.append(str(relative))
    return sorted(found)


def percent_of(cov: coverage.Coverage, measured: set[str], part: str) -> float | None:
    """Branch coverage of ``part`` (a file or a glob); None when it has no code."""
    if "*" not in part and str(ROOT / part) not in measured:
        _, statements, *_ = cov.analysis2(str(ROOT / part))
        return 0.0 if statements else None  # never imported by any test
    try:
        return float(cov.report(include=[str(ROOT / part)], file=io.StringIO()))
    except NoDataError:  # a whole package no test imports
        return 0.0


def main() -> int:
    cov = coverage.Coverage(data_file=str(ROOT / ".coverage"))
    cov.load()
    measured = set(cov.get_data().measured_files())
    parts = [m for m in lifecert_modules() if m not in NOT_GATED]
    parts.append(f"{ENGINE}/*")
    failed = []
    for part in parts:
        percent = percent_of(cov, measured, part)
        if percent is None:  # an empty __init__.py
            continue
        verdict = "ok" if percent >= MINIMUM else f"below {MINIMUM:.0f} %"
        print(f"coverage {percent:5.1f} %  {part}  {verdict}")  # noqa: T201
        if percent < MINIMUM:
            failed.append(part)
    for module, reason in NOT_GATED.items():
        print(f"not gated         {module}: {reason}")  # noqa: T201
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
