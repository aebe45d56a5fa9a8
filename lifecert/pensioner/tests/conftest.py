from collections.abc import Iterator

import pytest

from lifecert.certification import face

from .helpers import StandInBackend


@pytest.fixture
def stand_in() -> Iterator[StandInBackend]:
    """Swap the face engine for the stand-in (view plumbing only)."""
    backend = StandInBackend()
    with face.use_backend(backend):
        yield backend


@pytest.fixture(autouse=True)
def _fresh_login_counters() -> Iterator[None]:
    """Wrong-login counters live in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
