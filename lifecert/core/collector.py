"""Python's garbage collector around long-lived servers and bulk writes.

Every object a request allocates counts towards a collection; every so often
a full (generation 2) pass walks every tracked object in the process — all of
Django's, the URLconf's and the app's modules included, about 130,000 here.
A 5,000-row evidence batch set off two or three such passes (0.7–1.1 s of CPU
per 20,000 rows on PostgreSQL) that found nothing to free: the batch's rows
are alive until it ends, and the loaded app is alive until the process ends
(bench/bench_api_push.py, docs/benchmarks.md).

- ``freeze_loaded_app``: what a worker calls once its app is loaded
  (``lifecert/wsgi.py``): the loaded objects move to the collector's permanent
  generation, so no later pass walks them again (the standard ``gc.freeze()``).
- ``collection_paused``: no collection while a bounded bulk write runs; the
  collector is back on at its end, exception or not. Cycles made meanwhile
  are collected by the next pass after it.
"""

import contextlib
import gc
import threading
from collections.abc import Iterator

from django.urls import get_resolver

_lock = threading.Lock()
# Writers inside ``collection_paused`` now, and whether the first of them
# found the collector on (and so the last one out turns it back on).
_paused = 0
_resume = False


def freeze_loaded_app() -> int:
    """Import the URLconf (views and everything they import), collect once,
    and freeze what is left; how many objects were frozen."""
    get_resolver().url_patterns  # noqa: B018 imported for its side effect
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """No garbage collection in the block (for a bounded bulk write).

    The collector is process-wide: with threads, the first writer in turns it
    off and the last one out turns it back on, unless it was off already (then
    it stays off).
    """
    global _paused, _resume  # one switch for the process
    with _lock:
        if _paused == 0:
            _resume = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _resume:
                gc.enable()
