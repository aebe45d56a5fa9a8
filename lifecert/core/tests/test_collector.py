"""The garbage collector: paused around bulk writes, the loaded app frozen."""

import gc
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lifecert.core.collector import collection_paused, freeze_loaded_app

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collector_on")
def test_collection_is_off_inside_and_back_on_after():
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_back_on_after_an_exception():
    @collection_paused()
    def fails() -> None:
        raise ZeroDivisionError(gc.isenabled())

    with pytest.raises(ZeroDivisionError) as raised:
        fails()
    assert raised.value.args == (False,)
    assert gc.isenabled()


def test_a_collector_already_off_stays_off():
    was = gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


@pytest.mark.usefixtures("collector_on")
def test_nested_pauses_resume_only_when_the_last_one_ends():
    @collection_paused()
    def inner() -> bool:
        return gc.isenabled()

    with collection_paused():
        assert inner() is False
        assert not gc.isenabled()  # the inner end did not turn it on
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_two_threads_the_last_one_out_turns_it_back_on():
    first_in, second_in, first_out = (threading.Event() for _ in range(3))
    seen = []

    def first():
        with collection_paused():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second():
        first_in.wait(10)
        with collection_paused():
            second_in.set()
            first_out.wait(10)
            seen.append(gc.isenabled())  # the first has left; this one is in
        seen.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [False, True]


def test_freezing_the_loaded_app_moves_it_out_of_later_collections():
    try:
        frozen = freeze_loaded_app()
        # The URLconf's views are among what it holds: tens of thousands. Not
        # compared for equality with a second count: another thread of the
        # process (pytest-xdist's channel) may free a frozen object between.
        assert frozen > 10_000
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0


def test_the_wsgi_entry_point_freezes_the_loaded_app():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lifecert.settings"}
    code = "import gc, lifecert.wsgi; print(gc.get_freeze_count())"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.split()[-1]) > 10_000
