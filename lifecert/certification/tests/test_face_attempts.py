"""What counts as an attempt of face certification, at the edges; purging biometrics."""

import datetime
import os
import re
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lifecert.certification import face_attempts
from lifecert.certification.models import FaceSession, ReviewRequest
from lifecert.core.models import AuditEvent
from lifecert.demo import testing
from lifecert.pensioner.tests.helpers import enrol_ready, frame

pytestmark = pytest.mark.django_db

START = reverse("pensioner:session-start")


@pytest.fixture
def client_in(client, personas, stand_in):
    enrol_ready(personas.pensioner)
    client.force_login(personas.pensioner_user)
    return client


def _start(client):
    response = client.post(START)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _post(client, session_id, tag=""):
    return client.post(
        reverse("pensioner:session-frame", args=[session_id]),
        data=frame(tag),
        content_type="image/jpeg",
    )


def _finish(client, session_id):
    return client.post(reverse("pensioner:session-finish", args=[session_id]))


def test_a_session_that_never_saw_a_face_is_no_failure(client_in, personas):
    for _ in range(5):
        session_id = _start(client_in)
        _post(client_in, session_id, "NOFACE")
        body = _finish(client_in, session_id).json()
        assert body["verdict"]["code"] == "no_face"
    assert face_attempts.failures_today(personas.pensioner) == 0
    assert not ReviewRequest.objects.exists()
    assert face_attempts.starts_today(personas.pensioner) == 5


def test_a_poor_capture_is_coached_and_not_counted_as_a_failure(client_in, personas):
    for _ in range(4):
        session_id = _start(client_in)
        _post(client_in, session_id)  # a face is seen ...
        body = _post(client_in, session_id, "POOR").json()  # ... too dark to judge
        assert body["verdict"]["code"] == "poor_capture"
        assert "不计入" not in body["verdict"]["message"]  # the page says it, once
        assert body["counted"] is False
        assert body["tries_left"] == 3
    session = FaceSession.objects.get(public_id=session_id)
    assert session.status == "failed"
    assert session.verdict == "poor_capture"
    assert session.face_seen is False
    assert face_attempts.failures_today(personas.pensioner) == 0
    assert not face_attempts.camera_blocked(personas.pensioner)
    assert not ReviewRequest.objects.exists()
    # A real failure after them is the first that counts.
    session_id = _start(client_in)
    body = _post(client_in, session_id, "MISMATCH").json()
    assert body["counted"] is True
    assert body["tries_left"] == 2
    assert face_attempts.failures_today(personas.pensioner) == 1


def test_the_start_cap_allows_exactly_its_number(client_in, settings):
    settings.FACE_MAX_STARTS_PER_DAY = 3
    for _ in range(3):
        _start(client_in)
    refused = client_in.post(START)
    assert refused.status_code == 429
    assert "明天再试" in refused.json()["message"]


def test_starts_of_yesterday_do_not_count(client_in, settings):
    settings.FACE_MAX_STARTS_PER_DAY = 1
    _start(client_in)
    FaceSession.objects.update(created_at=timezone.now() - datetime.timedelta(days=1))
    _start(client_in)


def test_abandoning_a_session_with_a_face_counts_as_a_failure(client_in, personas):
    first = _start(client_in)
    _post(client_in, first)
    _start(client_in)
    assert FaceSession.objects.get(public_id=first).status == "abandoned"
    assert face_attempts.failures_today(personas.pensioner) == 1
    assert AuditEvent.objects.filter(action="face_session.abandoned").exists()


def test_the_third_failure_counting_abandoned_ones_blocks_and_opens_a_review(
    client_in, personas
):
    for _ in range(3):
        session_id = _start(client_in)
        _post(client_in, session_id)  # a face, then walks away and starts again
    blocked = client_in.post(START)
    assert blocked.status_code == 403
    assert blocked.json()["error"] == "blocked"
    assert ReviewRequest.objects.filter(person=personas.pensioner).count() == 1


def test_an_open_session_past_its_expiry_counts_once_a_face_was_seen(
    client_in, personas
):
    session_id = _start(client_in)
    _post(client_in, session_id)
    assert face_attempts.failures_today(personas.pensioner) == 0
    FaceSession.objects.filter(public_id=session_id).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert face_attempts.failures_today(personas.pensioner) == 1


def test_a_failure_shows_the_tries_left(client_in):
    session_id = _start(client_in)
    body = _post(client_in, session_id, "MISMATCH").json()
    assert body["tries_left"] == 2
    page = client_in.get(body["result_url"]).content.decode()
    assert "2" in page


def test_review_frames_are_purged_after_their_window_and_purging_is_idempotent(
    client_in, settings
):
    settings.FACE_REVIEW_KEEP_DAYS = 30
    failed = _start(client_in)
    _post(client_in, failed, "MISMATCH")
    session = FaceSession.objects.get(public_id=failed)
    assert session.evidence
    assert session.evidence_until > timezone.now() + datetime.timedelta(days=29)
    left_open = _start(client_in)
    _post(client_in, left_open)
    FaceSession.objects.filter(public_id=left_open).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    call_command("purge_face_evidence")
    assert FaceSession.objects.get(public_id=failed).evidence  # still in its window
    assert FaceSession.objects.get(public_id=left_open).state is None
    FaceSession.objects.filter(public_id=failed).update(
        evidence_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    call_command("purge_face_evidence")
    call_command("purge_face_evidence")
    session = FaceSession.objects.get(public_id=failed)
    assert session.evidence is None
    # The date stays: the review page says when the frames were purged.
    assert session.evidence_until < timezone.now()
    assert AuditEvent.objects.filter(action="face_session.purge").count() == 2


def test_an_abandoned_session_keeps_no_half_way_state(client_in):
    first = _start(client_in)
    _post(client_in, first)
    assert FaceSession.objects.get(public_id=first).state is not None
    _start(client_in)
    assert FaceSession.objects.get(public_id=first).state is None


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        (["0.0", "9.2"], "stale_frames"),
        (["2.0", "1.0"], "bad_order"),
    ],
)
def test_batches_with_impossible_capture_times_are_refused(
    client_in, stand_in, claims, error
):
    session_id = _start(client_in)
    parts = [SimpleUploadedFile(f"{i}.jpg", frame(), "image/jpeg") for i in range(2)]
    response = client_in.post(
        reverse("pensioner:session-frame", args=[session_id]),
        data={"frame": parts, "ts": claims},
    )
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert stand_in.fed == []
    assert FaceSession.objects.get(public_id=session_id).status == "open"


def test_a_batch_spanning_exactly_the_skew_bound_is_accepted(
    client_in, stand_in, settings
):
    settings.FACE_FRAME_SKEW_SECONDS = 1.5
    session_id = _start(client_in)
    parts = [SimpleUploadedFile(f"{i}.jpg", frame(), "image/jpeg") for i in range(2)]
    response = client_in.post(
        reverse("pensioner:session-frame", args=[session_id]),
        data={"frame": parts, "ts": ["3.0", "4.5"]},
    )
    assert response.status_code == 200
    assert stand_in.fed[1] - stand_in.fed[0] == pytest.approx(1.5)


def test_the_camera_is_told_how_long_the_server_worked(client_in):
    """The page learns its line's upload rate from a request's time less the
    server's work (static/js/camera.js, ``measure``): the start, each batch
    and a refused one say it in Server-Timing."""
    timing = re.compile(r"^app;dur=\d+\.\d$")
    started = client_in.post(START)
    assert timing.match(started.headers["Server-Timing"])
    session_id = started.json()["id"]
    assert timing.match(_post(client_in, session_id).headers["Server-Timing"])
    parts = [SimpleUploadedFile(f"{i}.jpg", frame(), "image/jpeg") for i in range(2)]
    refused = client_in.post(
        reverse("pensioner:session-frame", args=[session_id]),
        data={"frame": parts, "ts": ["0.0", "9.2"]},
    )
    assert refused.status_code == 400
    assert timing.match(refused.headers["Server-Timing"])


def test_the_fixed_challenge_hook_is_refused_in_production():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": "postgres://u:p@127.0.0.1:1/none",
        "FACE_FIXED_CHALLENGE": "nod,blink",
        "DJANGO_SETTINGS_MODULE": "lifecert.settings",
        "LIFECERT_DATA_KEYS": "Zm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1rZXktISE=",
    }
    code = "import django; django.setup()"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "FACE_FIXED_CHALLENGE" in result.stderr
    env.pop("FACE_FIXED_CHALLENGE")
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0


def _under_way(region, *, seconds_ago=0.0, face_seen=True, status="open"):
    """A session of another pensioner, started ``seconds_ago``."""
    session = FaceSession.objects.create(
        person=testing.make_person(),
        region=region,
        challenge={},
        status=status,
        face_seen=face_seen,
        expires_at=timezone.now() + datetime.timedelta(minutes=2),
    )
    FaceSession.objects.filter(pk=session.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=seconds_ago)
    )
    return session


def test_a_full_room_refuses_a_start_that_counts_as_no_try(
    client_in, personas, settings
):
    settings.FACE_MAX_ACTIVE_SESSIONS = 2
    _under_way(personas.region)
    _under_way(personas.region, seconds_ago=5, face_seen=False)
    refused = client_in.post(START)
    assert refused.status_code == 503
    assert refused.json()["error"] == "busy_server"
    assert "不计入" in refused.json()["message"]
    assert not FaceSession.objects.filter(person=personas.pensioner).exists()
    assert face_attempts.starts_today(personas.pensioner) == 0
    assert face_attempts.tries_left(personas.pensioner) == 3


@pytest.mark.parametrize(
    "left_out",
    [
        {"seconds_ago": face_attempts.ACTIVE_SECONDS + 1},
        {"seconds_ago": face_attempts.ACTIVE_NO_FACE_SECONDS + 1, "face_seen": False},
        {"status": "passed"},
        {"status": "abandoned"},
    ],
    ids=["over a minute old", "no face after 10 s", "passed", "abandoned"],
)
def test_a_session_no_longer_under_way_leaves_room(
    client_in, personas, settings, left_out
):
    settings.FACE_MAX_ACTIVE_SESSIONS = 2
    _under_way(personas.region, seconds_ago=face_attempts.ACTIVE_SECONDS - 5)
    _under_way(personas.region, **left_out)
    _start(client_in)
    # The new one fills the room: the limit is there, the other was left out.
    assert face_attempts.room_full(testing.make_person())


def test_the_persons_own_open_session_leaves_room_for_a_new_start(
    client_in, personas, settings
):
    settings.FACE_MAX_ACTIVE_SESSIONS = 2
    _under_way(personas.region)
    first = _start(client_in)
    _post(client_in, first)  # a face: the session is under way
    assert face_attempts.room_full(testing.make_person())
    _start(client_in)
    assert FaceSession.objects.get(public_id=first).status == "abandoned"


def test_no_limit_when_the_setting_is_zero(client_in, personas, settings):
    settings.FACE_MAX_ACTIVE_SESSIONS = 0
    for _ in range(3):
        _under_way(personas.region)
    _start(client_in)


# ---------------------------------------------------------------- per address

OFFICE = "203.0.113.20"  # one NAT address: a service centre, or a fraudster
ELSEWHERE = "198.51.100.20"


def _certifier(personas, address):
    """A browser at ``address`` that passed 资格认证登记 (name + number) for an
    enrolled pensioner of its own, as a caller with a list of them would."""
    person = testing.make_person()
    testing.make_entitlement(person=person, region=personas.region)
    enrol_ready(person)
    browser = Client(REMOTE_ADDR=address)
    login = reverse("pensioner:cert-login")
    response = browser.post(login, {"name": person.name, "ssn": person.ssn})
    assert response.status_code == 302, response.content
    browser.person = person
    return browser


def _holding(browser):
    """Start a session and show it a face: under way for ACTIVE_SECONDS."""
    session_id = _start(browser)
    assert _post(browser, session_id).status_code == 200
    return session_id


def _started_ago(session_id, seconds):
    FaceSession.objects.filter(public_id=session_id).update(
        created_at=timezone.now() - datetime.timedelta(seconds=seconds)
    )


@pytest.fixture
def address_cap(settings, stand_in):
    settings.FACE_MAX_ACTIVE_SESSIONS = 100  # the room is not what refuses
    settings.FACE_MAX_ACTIVE_PER_ADDRESS = 3
    return 3


def test_one_address_runs_its_cap_at_once_and_no_more(personas, address_cap):
    browsers = [_certifier(personas, OFFICE) for _ in range(address_cap + 1)]
    for browser in browsers[: address_cap - 1]:  # N - 1 under way
        _holding(browser)
    _holding(browsers[address_cap - 1])  # the N-th is still let in
    refused = browsers[address_cap].post(START)  # N + 1
    assert refused.status_code == 503
    body = refused.json()
    assert body["error"] == "busy_address"
    assert body["message"] == (
        "本网络同时进行的人脸认证过多，请等前面的认证完成后再点击“重新开始”。"
        "这次不计入认证次数。"
    )
    assert set(body) == {"error", "message"}  # the room-full answer's shape
    # The refusal counts as nothing for the person.
    late = browsers[address_cap].person
    assert not FaceSession.objects.filter(person=late).exists()
    assert face_attempts.starts_today(late) == 0
    assert face_attempts.tries_left(late) == 3
    # Another address is not affected.
    _start(_certifier(personas, ELSEWHERE))
    assert set(FaceSession.objects.values_list("ip", flat=True)) == {
        OFFICE,
        ELSEWHERE,
    }


def test_the_addresses_of_one_ipv6_network_share_the_cap(personas, address_cap):
    network = [f"2001:db8:9:1::{n + 1:x}" for n in range(address_cap + 1)]
    browsers = [_certifier(personas, address) for address in network]
    for browser in browsers[:address_cap]:
        _holding(browser)
    assert browsers[address_cap].post(START).json()["error"] == "busy_address"
    _start(_certifier(personas, "2001:db8:9:2::1"))  # the next network


def _aged(browser):
    _started_ago(_holding(browser), face_attempts.ACTIVE_SECONDS + 1)


def _faceless(browser):
    _started_ago(_start(browser), face_attempts.ACTIVE_NO_FACE_SECONDS + 1)


def _passed(browser):
    assert _post(browser, _start(browser), "PASS").json()["verdict"]["code"] == (
        "passed"
    )


def _failed(browser):
    body = _post(browser, _start(browser), "MISMATCH").json()
    assert body["verdict"]["code"] == "mismatch"


@pytest.mark.parametrize(
    "left_out",
    [_aged, _faceless, _passed, _failed],
    ids=["over a minute old", "no face after 10 s", "passed", "failed"],
)
def test_sessions_of_the_address_no_longer_under_way_do_not_count(
    personas, address_cap, left_out
):
    for _ in range(address_cap - 1):
        _holding(_certifier(personas, OFFICE))
    left_out(_certifier(personas, OFFICE))
    _holding(_certifier(personas, OFFICE))  # let in: the other was left out
    # The cap is there: the address is now full.
    assert _certifier(personas, OFFICE).post(START).status_code == 503


def test_the_persons_own_restart_is_let_in_at_the_addresss_cap(personas, address_cap):
    for _ in range(address_cap - 1):
        _holding(_certifier(personas, OFFICE))
    browser = _certifier(personas, OFFICE)
    first = _holding(browser)  # the address is full now
    assert _certifier(personas, OFFICE).post(START).status_code == 503
    second = _holding(browser)  # a restart abandons the open one
    assert FaceSession.objects.get(public_id=first).status == "abandoned"
    assert FaceSession.objects.get(public_id=second).status == "open"


def test_no_limit_per_address_when_the_setting_is_zero(personas, address_cap, settings):
    settings.FACE_MAX_ACTIVE_PER_ADDRESS = 0
    for _ in range(address_cap + 2):
        _holding(_certifier(personas, OFFICE))
    assert FaceSession.objects.filter(ip=OFFICE, status="open").count() == 5


def test_requests_without_an_address_share_no_cap(personas, address_cap):
    for _ in range(address_cap + 1):
        _holding(_certifier(personas, ""))
    assert FaceSession.objects.filter(ip=None, status="open").count() == 4


@pytest.mark.django_db(transaction=True)
def test_starts_at_the_same_moment_count_each_other(personas, address_cap, stand_in):
    """Two starts from one address with one place left, both past their
    checks of who may start before either session exists: the second must
    see the first (the caps count under the room's lock), not both get in."""
    import threading

    from django.db import connection

    browsers = [_certifier(personas, OFFICE) for _ in range(address_cap + 1)]
    for browser in browsers[: address_cap - 1]:
        _holding(browser)
    racing = browsers[address_cap - 1 :]  # two for the one place left
    together = threading.Barrier(len(racing), timeout=20)
    drawn = stand_in.new_challenge

    def new_challenge(fixed):
        together.wait()  # both starts are in flight here
        return drawn(fixed)

    stand_in.new_challenge = new_challenge
    statuses = []

    def start(browser):
        try:
            statuses.append(browser.post(START).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(b,)) for b in racing]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 503]
    assert FaceSession.objects.filter(ip=OFFICE).count() == address_cap
