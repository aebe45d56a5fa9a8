"""Biometrics at rest: what the database holds is sealed; keys rotate."""

import base64
import json
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from lifecert.certification import biometrics, enrolment, face, face_sessions
from lifecert.certification.models import FaceSession
from lifecert.core import vault
from lifecert.pensioner.tests.helpers import enrol_ready, frame

pytestmark = pytest.mark.django_db

JPEG_MAGIC = b"\xff\xd8\xff"
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def keys(settings):
    settings.LIFECERT_DATA_KEYS = [OLD_KEY]
    return settings


@pytest.fixture
def fake_enrol(monkeypatch):
    monkeypatch.setattr(face, "enrol", lambda photo: [0.125] * 128)


def _raw(sql, *params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _photo_column(template):
    (row,) = _raw(
        "SELECT photo, descriptor FROM certification_facetemplate WHERE id = %s",
        template.pk,
    )
    return bytes(row[0]), row[1]


def test_the_photo_and_descriptor_columns_hold_no_plaintext(keys, personas, fake_enrol):
    photo = JPEG_MAGIC + b"\xe0 a reference photo"
    template = enrolment.enrol_photo(
        person=personas.pensioner,
        photo=photo,
        content_type="image/jpeg",
        acting_user=personas.staff,
    )
    stored_photo, stored_descriptor = _photo_column(template)
    assert JPEG_MAGIC not in stored_photo
    assert b"reference photo" not in stored_photo
    assert vault.is_sealed(stored_photo)
    assert "0.125" not in stored_descriptor
    assert not stored_descriptor.lstrip().startswith("[")
    assert vault.is_sealed(stored_descriptor)
    # ... and the seam gives them back.
    assert enrolment.reference_photo(template) == photo
    assert enrolment.reference_descriptors(personas.pensioner) == [[0.125] * 128]


def test_review_frames_and_open_state_are_sealed(keys, personas, stand_in, client):
    enrol_ready(personas.pensioner)
    client.force_login(personas.pensioner_user)
    start = client.post(reverse("pensioner:session-start"))
    session = FaceSession.objects.get(public_id=start.json()["id"])
    face_sessions.submit_frames(
        session=session,
        frames=[(frame(), None)],
        acting_user=personas.pensioner_user,
        ip=None,
    )
    (state,) = _raw(
        "SELECT state FROM certification_facesession WHERE id = %s", session.pk
    )[0]
    assert '"count"' not in state
    assert "face_seen" not in state
    session.refresh_from_db()
    assert vault.is_sealed(session.state)

    kept = JPEG_MAGIC + b"frame bytes"
    FaceSession.objects.filter(pk=session.pk).update(evidence=[vault.seal(kept)])
    (evidence,) = _raw(
        "SELECT evidence FROM certification_facesession WHERE id = %s", session.pk
    )[0]
    assert base64.b64encode(JPEG_MAGIC).decode() not in evidence  # "/9j/"
    session.refresh_from_db()
    assert biometrics.review_frames(session) == [kept]


def test_a_wrong_key_fails_clearly(keys):
    sealed = vault.seal(b"secret")
    keys.LIFECERT_DATA_KEYS = [NEW_KEY]
    with pytest.raises(vault.VaultError, match="not in LIFECERT_DATA_KEYS"):
        vault.open_bytes(sealed)
    # A different key presented under the same id: authenticated, so refused.
    kid = sealed.split(":", 1)[0]
    forged = f"{kid}:{Fernet(NEW_KEY.encode()).encrypt(b'x').decode()}"
    keys.LIFECERT_DATA_KEYS = [OLD_KEY]
    with pytest.raises(vault.VaultError, match="does not open"):
        vault.open_bytes(forged)
    with pytest.raises(vault.VaultError, match="Not a sealed value"):
        vault.open_bytes(b"\xff\xd8\xff plain jpeg")


def test_rotation_reseals_everything_under_the_newest_key_and_is_idempotent(
    keys, personas, fake_enrol, capsys
):
    template = enrolment.enrol_photo(
        person=personas.pensioner,
        photo=JPEG_MAGIC + b"photo",
        content_type="image/jpeg",
        acting_user=personas.staff,
    )
    session = FaceSession.objects.create(
        person=personas.pensioner,
        region=personas.region,
        challenge={},
        status=FaceSession.Status.FAILED,
        evidence=[vault.seal(JPEG_MAGIC + b"f1")],
        expires_at="2026-01-01T00:00:00Z",
    )
    old_id = vault.key_id(OLD_KEY)
    keys.LIFECERT_DATA_KEYS = [NEW_KEY, OLD_KEY]

    call_command("rotate_data_key")
    assert "建模 1 条" in capsys.readouterr().out
    template.refresh_from_db()
    session.refresh_from_db()
    new_id = vault.key_id(NEW_KEY)
    assert vault.sealed_key_id(template.photo) == new_id != old_id
    assert vault.sealed_key_id(template.descriptor) == new_id
    assert vault.sealed_key_id(session.evidence[0]) == new_id

    call_command("rotate_data_key")
    assert "建模 0 条" in capsys.readouterr().out

    keys.LIFECERT_DATA_KEYS = [NEW_KEY]  # the old key can go now
    assert enrolment.reference_photo(template) == JPEG_MAGIC + b"photo"
    assert biometrics.review_frames(session) == [JPEG_MAGIC + b"f1"]


def test_production_refuses_to_start_without_a_data_key(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": "postgres://u:p@localhost/db",
        "LIFECERT_VAR_DIR": str(tmp_path),
    }
    env.pop("LIFECERT_DATA_KEYS", None)
    code = "import lifecert.settings"
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "LIFECERT_DATA_KEYS" in run.stderr

    env["LIFECERT_DATA_KEYS"] = f"{NEW_KEY},not-a-key"
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "key 2 is not a Fernet key" in run.stderr
    env.pop("LIFECERT_DATA_KEYS")

    keyfile = tmp_path / "keys"
    keyfile.write_text(f"{NEW_KEY}\n{OLD_KEY}\n")
    env["LIFECERT_DATA_KEYS_FILE"] = str(keyfile)
    code += "; print(lifecert.settings.LIFECERT_DATA_KEYS)"
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.replace("'", '"')) == [NEW_KEY, OLD_KEY]


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_seals_rows_stored_in_the_clear(keys):
    from django.db.migrations.executor import MigrationExecutor

    before = [("certification", "0004_face_template_descriptor_sealed_text")]
    after = [("certification", "0005_seal_biometrics")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Region = old.get_model("registry", "Region")
    Person = old.get_model("registry", "Person")
    FaceTemplateOld = old.get_model("certification", "FaceTemplate")
    FaceSessionOld = old.get_model("certification", "FaceSession")
    region = Region.objects.create(code="440100", name="广州")
    person = Person.objects.create(name="杨书维", ssn="43060319920301203X")
    template = FaceTemplateOld.objects.create(
        person=person, photo=JPEG_MAGIC + b"clear", descriptor=json.dumps([0.5] * 128)
    )
    session = FaceSessionOld.objects.create(
        person=person,
        region=region,
        challenge={},
        state={"count": 1},
        evidence=[base64.b64encode(JPEG_MAGIC + b"f").decode()],
        expires_at="2026-01-01T00:00:00Z",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    photo, descriptor = _photo_column(template)
    assert vault.open_bytes(photo) == JPEG_MAGIC + b"clear"
    assert vault.open_json(descriptor) == [0.5] * 128
    fs = FaceSession.objects.get(pk=session.pk)
    assert vault.open_json(fs.state) == {"count": 1}
    assert biometrics.review_frames(fs) == [JPEG_MAGIC + b"f"]

    executor = MigrationExecutor(connection)
    executor.migrate(before)  # the reverse opens them again
    assert bytes(_photo_column(template)[0]) == JPEG_MAGIC + b"clear"
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
