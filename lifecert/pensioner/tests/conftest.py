from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_login_counters(request: pytest.FixtureRequest) -> Iterator[None]:
    """Wrong-login counters live in the (database) cache: no test inherits
    another's. Tests without a database (the fake camera's) have none."""
    from django.core.cache import cache

    uses_db = request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in ("db", "transactional_db")
    )
    if uses_db:
        cache.clear()
    yield
    if uses_db:
        cache.clear()
