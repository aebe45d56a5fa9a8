"""Counting wrong tries in the shared cache (a database table, see settings).

One rule for every throttle that is not a password (those are django-axes'):
a key may fail ``limit`` times within ``THROTTLE_WINDOW_MINUTES``; then
``is_blocked`` is true until the oldest of those failures is a window old.
Keys name what is counted (``("cert-login", "addr", ip)``, made by
``per_address``), so one client's typos never block a different address or
account. Successes do not reset a count: a guesser who also knows one right
answer gains nothing from it.

Each failure takes the first free numbered slot of its key with ``cache.add``,
which the database cache does as one INSERT on the key: two workers failing
at once take two slots, where a read-then-write ``incr`` would lose one.
"""

import hashlib
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.cache import cache

from lifecert.core.audit import counted_address

Key = Sequence[str | None]
Limits = Iterable[tuple[Key, int]]


def per_address(kind: str, ip: str | None) -> tuple[str, str, str]:
    """The key of ``kind``'s count for the caller at ``ip``: an IPv6 caller is
    counted by its network (``audit.counted_address``)."""
    return (kind, "addr", counted_address(ip) or "-")


def _slots(key: Key, limit: int) -> list[str]:
    # Hashed: keys hold ID numbers and addresses, and the cache is a table.
    raw = "\x1f".join(part or "-" for part in key)
    digest = hashlib.sha256(raw.encode()).hexdigest()
    return [f"throttle:{digest}:{n}" for n in range(limit)]


def _window() -> int:
    return minutes() * 60


def failures(key: Key, limit: int) -> int:
    """Failures of ``key`` in the window, counted up to ``limit``."""
    return len(cache.get_many(_slots(key, limit)))


def is_blocked(limits: Limits) -> bool:
    """True when any ``(key, limit)`` has reached its limit in the window."""
    return any(failures(key, limit) >= limit for key, limit in limits)


def record_failure(limits: Limits) -> None:
    """Count one failure against each key (nothing more once at its limit)."""
    for key, limit in limits:
        for slot in _slots(key, limit):
            if cache.add(slot, 1, _window()):
                break


def minutes() -> int:
    """The window, for messages ("请 15 分钟后再试")."""
    return int(settings.THROTTLE_WINDOW_MINUTES)
