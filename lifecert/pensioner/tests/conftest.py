from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_login_counters() -> Iterator[None]:
    """Wrong-login counters live in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
