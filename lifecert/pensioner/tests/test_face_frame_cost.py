"""What a camera frame request costs the server: its queries, and the enrolled
descriptors read only when the engine judges the face (issue #10)."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lifecert.certification import face
from lifecert.certification.face_sessions import References
from lifecert.core import vault
from lifecert.demo import testing

from .helpers import StandInBackend, enrol_ready, frame

pytestmark = pytest.mark.django_db


class LookingBackend(StandInBackend):
    """The stand-in, which also reads the references at a verdict (as the
    engine does) and notes whether they had been read before."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded_before: list[bool] = []
        self.read: list[list[list[float]]] = []

    def run(self, challenge: Any, references: Any, state: Any, frames: Any, now: float):
        self.loaded_before.append(references.loaded)
        step = super().run(challenge, references, state, frames, now)
        if step.verdict is not None:
            self.read.append(list(references))
        return step


@pytest.fixture
def looking(personas, client):
    enrol_ready(personas.pensioner)
    client.force_login(personas.pensioner_user)
    backend = LookingBackend()
    with face.use_backend(backend):
        yield backend


def _start(client):
    response = client.post(reverse("pensioner:session-start"))
    assert response.status_code == 201, response.content
    return response.json()


def _post(client, url, tag=""):
    return client.post(
        url, data=frame(tag), content_type="image/jpeg", HTTP_X_FRAME_TIME="0.5"
    )


def test_a_frame_request_reads_the_session_once_and_writes_it_once(client, looking):
    url = _start(client)["frame_url"]
    _post(client, url)
    # The browser session, the account, its person, the face session (with its
    # region), the one conditional UPDATE of the state: no descriptor read.
    with CaptureQueriesContext(connection) as queries:
        assert _post(client, url).status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 5, sql
    assert not [s for s in sql if "certification_facetemplate" in s]
    assert sum(s.startswith("UPDATE") for s in sql) == 1
    assert looking.loaded_before == [False, False]


@pytest.fixture
def cert_login(personas, client):
    """The certification login (name and number, no account): most pensioners'
    way in, and the load bench's."""
    enrol_ready(personas.pensioner)
    response = client.post(
        reverse("pensioner:cert-login"),
        {"name": personas.pensioner.name, "ssn": personas.pensioner.ssn},
    )
    assert response.status_code == 302
    with face.use_backend(LookingBackend()) as backend:
        yield backend


def test_on_the_certification_login_a_frame_request_is_three_queries(
    client, cert_login
):
    url = _start(client)["frame_url"]
    _post(client, url)
    # The browser session, the face session joined with its person, the one
    # conditional UPDATE of the state.
    with CaptureQueriesContext(connection) as queries:
        assert _post(client, url).status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 3, sql
    assert "registry_person" in sql[1]
    assert sql[2].startswith("UPDATE")


def test_the_descriptors_are_read_when_the_engine_judges(client, looking, personas):
    other = testing.make_person(name="另一人", ssn=testing.make_ssn())
    enrol_ready(other)
    url = _start(client)["frame_url"]
    _post(client, url)
    response = _post(client, url, "PASS")
    assert response.json()["verdict"]["code"] == "passed"
    descriptor = vault.open_json(personas.pensioner.face_templates.get().descriptor)
    assert looking.read == [[descriptor]]


def test_references_read_once_and_behave_as_a_list(personas):
    template = enrol_ready(personas.pensioner)
    refs = References(personas.pensioner)
    assert not refs.loaded
    expected = vault.open_json(template.descriptor)
    assert len(refs) == 1
    assert refs.loaded
    assert refs[0] == expected
    assert refs[:1] == [expected]
    assert list(refs) == [expected]
