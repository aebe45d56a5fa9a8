from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _fresh_login_counters() -> Iterator[None]:
    """Wrong-login counters live in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def webcam_man() -> Any:
    """The webcam man (enrolled from a frame of another of his recordings)."""
    from django.conf import settings

    from faceverify import actors

    shared = Path(settings.LIFECERT_SHARED_DIR)
    if not (shared / "media").is_dir():
        pytest.skip(f"test media not found under {shared} (set LIFECERT_SHARED_DIR)")
    return actors.webcam_man(shared)
