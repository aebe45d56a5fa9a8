"""Production settings, each in a subprocess with its own environment."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[3]


def _production_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "DATABASE_URL",
            "SECRET_KEY",
            "FACE_FIXED_CHALLENGE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # set for the browser tests (conftest)
        }
        and not key.startswith(("SECURE_", "SESSION_"))
    }
    env.update(
        SECRET_KEY="k" * 20 + "-production-only-" + "q" * 20,
        LIFECERT_DATA_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL="postgres://lifecert:secret@127.0.0.1:1/lifecert",
        ALLOWED_HOSTS="lifecert.example.org",
        DJANGO_SETTINGS_MODULE="lifecert.settings",
        **extra,
    )
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_debug_is_off_unless_the_environment_sets_it():
    code = "from django.conf import settings; print(settings.DEBUG)"
    result = _run(_production_env(), "-c", code)
    assert result.stdout.strip() == "False", result.stderr
    # Without a key, a server that forgot DEBUG=1 refuses to start.
    env = _production_env()
    env.pop("SECRET_KEY")
    result = _run(env, "-c", "import django; django.setup()")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_check_deploy_is_clean_under_production_settings():
    result = _run(
        _production_env(), "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_sends_hsts_and_secure_cookies():
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT)"
    )
    result = _run(_production_env(), "-c", code)
    seconds, *flags = result.stdout.split()
    assert int(seconds) >= 365 * 24 * 3600, result.stderr
    assert flags == ["True", "True", "True"]


def test_seed_demo_refuses_production_settings():
    result = _run(_production_env(), "manage.py", "seed_demo", "--persons", "5")
    assert result.returncode != 0
    assert "--force-production" in result.stderr


def test_the_production_guards_run_after_the_local_override():
    """A local_settings.py cannot switch the guards off by setting DEBUG back."""
    text = (ROOT / "lifecert" / "settings.py").read_text(encoding="utf-8")
    local = text.index("from lifecert.local_settings import *")
    assert local < text.index("if not DEBUG:\n    if not SECRET_KEY")
