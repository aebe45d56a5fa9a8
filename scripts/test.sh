#!/usr/bin/env bash
# Run every test (unit, face engine on real models, browser tests in Debian chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
LIFECERT_WITH_BROWSER=1 bash scripts/setup.sh
export LIFECERT_VAR_DIR="${LIFECERT_VAR_DIR:-$PWD/var/test}"
# mypy (django-stubs) and manage.py load the settings: development mode.
export DEBUG="${DEBUG:-1}"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy lifecert faceverify
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null \
  || { echo "Models changed without a migration: run makemigrations --name <what_changed>" >&2; exit 1; }
if [ "$#" -gt 0 ]; then  # a chosen part of the suite: no coverage gate
  exec .venv/bin/python -m pytest -n "${LIFECERT_TEST_WORKERS:-2}" -p no:cacheprovider "$@"
fi
.venv/bin/python -m pytest -n "${LIFECERT_TEST_WORKERS:-2}" -p no:cacheprovider \
  --cov --cov-report=
.venv/bin/python scripts/coverage_check.py
