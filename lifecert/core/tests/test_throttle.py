import datetime

import pytest
import time_machine

from lifecert.core import throttle

pytestmark = pytest.mark.django_db
KEY = ("test", "addr", "203.0.113.1")


def test_a_key_is_blocked_at_its_limit_and_not_before():
    for _ in range(2):
        throttle.record_failure([(KEY, 3)])
        assert not throttle.is_blocked([(KEY, 3)])
    throttle.record_failure([(KEY, 3)])
    assert throttle.is_blocked([(KEY, 3)])
    assert not throttle.is_blocked([(("test", "addr", "203.0.113.2"), 3)])


def test_counting_stops_at_the_limit():
    for _ in range(10):
        throttle.record_failure([(KEY, 3)])
    assert throttle.failures(KEY, 3) == 3


def test_the_block_ends_with_the_window(settings):
    for _ in range(3):
        throttle.record_failure([(KEY, 3)])
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(
        minutes=settings.THROTTLE_WINDOW_MINUTES + 1
    )
    with time_machine.travel(later):
        assert not throttle.is_blocked([(KEY, 3)])


def test_keys_with_no_address_still_count():
    throttle.record_failure([(("test", "addr", None), 1)])
    assert throttle.is_blocked([(("test", "addr", None), 1)])
