#!/usr/bin/env bash
# Serve LifeCert with demo data on SQLite at http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Development: DEBUG on (the published demo key, SQLite, demo accounts).
# Production is described in README.md ("Running with production settings"): DEBUG stays off there.
export DEBUG=1
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_demo --if-empty --persons "${DEMO_PERSONS:-3000}"
exec .venv/bin/python manage.py runserver "${LIFECERT_ADDR:-127.0.0.1:8000}"
