"""Counting wrong tries in the shared cache (a database table, see settings).

One rule for every throttle that is not a password (those are django-axes'):
a key may fail ``limit`` times within ``THROTTLE_WINDOW_MINUTES`` of its first
failure; then ``is_blocked`` is true until the window ends. Keys name what is
counted (``("cert-login", "addr", ip)``), so one client's typos never block a
different address or account. Successes do not reset a count: a guesser who
also knows one right answer gains nothing from it.
"""

import hashlib
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.cache import cache

Key = Sequence[str | None]


def _cache_key(key: Key) -> str:
    # Hashed: keys hold ID numbers and addresses, and the cache is a table.
    raw = "\x1f".join(part or "-" for part in key)
    return "throttle:" + hashlib.sha256(raw.encode()).hexdigest()


def _window() -> int:
    return int(settings.THROTTLE_WINDOW_MINUTES) * 60


def is_blocked(limits: Iterable[tuple[Key, int]]) -> bool:
    """True when any ``(key, limit)`` has reached its limit in the window."""
    pairs = list(limits)
    counts = cache.get_many([_cache_key(key) for key, _ in pairs])
    return any(counts.get(_cache_key(key), 0) >= limit for key, limit in pairs)


def record_failure(keys: Iterable[Key]) -> None:
    """Count one failure against each key (the window starts at the first)."""
    for key in keys:
        name = _cache_key(key)
        if cache.add(name, 1, _window()):
            continue
        try:
            cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.set(name, 1, _window())


def minutes() -> int:
    """The window, for messages ("请 15 分钟后再试")."""
    return int(settings.THROTTLE_WINDOW_MINUTES)
