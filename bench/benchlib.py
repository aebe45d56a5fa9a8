"""What the benchmark scripts share (a sibling module: each script runs with
``bench/`` first on ``sys.path``)."""

import os


def django_env(database_url: str) -> dict[str, str]:
    """The environment for a ``manage.py`` or server subprocess on ``database_url``."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="lifecert.settings", DEBUG="1"
    )
    return env
