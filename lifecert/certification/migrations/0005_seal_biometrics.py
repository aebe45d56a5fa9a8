"""Seal the biometrics stored in the clear: reference photos, descriptors, the
review frames and open sessions' engine state.

The sealing format (``<key id>:<Fernet token>``, key id = 8 hex digits of the
key's SHA-256) is written out here rather than imported from
``lifecert.core.vault``, so this step keeps working whatever the app becomes.
Batched; a value already sealed is left alone, so it can run again. The reverse
opens them again (for a rollback of the code that reads them).
"""

import base64
import hashlib
import json
import re

from cryptography.fernet import Fernet
from django.conf import settings
from django.db import migrations

BATCH = 500
SEALED = re.compile(r"^[0-9a-f]{8}:gAAAAA[A-Za-z0-9_=-]+$")


def _keys():
    keys = list(settings.LIFECERT_DATA_KEYS)
    ring = {hashlib.sha256(k.encode()).hexdigest()[:8]: Fernet(k.encode()) for k in keys}
    newest = hashlib.sha256(keys[0].encode()).hexdigest()[:8]
    return newest, ring


def _is_sealed(value):
    if isinstance(value, (bytes, memoryview)):
        value = bytes(value).decode("ascii", errors="replace")
    return isinstance(value, str) and SEALED.match(value) is not None


def _seal(data, newest, ring):
    return f"{newest}:{ring[newest].encrypt(data).decode('ascii')}"


def _open(value, ring):
    if isinstance(value, (bytes, memoryview)):
        value = bytes(value).decode("ascii")
    kid, token = value.split(":", 1)
    return ring[kid].decrypt(token.encode("ascii"))


def _batches(queryset):
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def seal(apps, schema_editor):
    newest, ring = _keys()
    FaceTemplate = apps.get_model("certification", "FaceTemplate")
    FaceSession = apps.get_model("certification", "FaceSession")
    for rows in _batches(FaceTemplate.objects.only("pk", "photo", "descriptor")):
        for t in rows:
            if not _is_sealed(t.photo):
                t.photo = _seal(bytes(t.photo), newest, ring).encode("ascii")
            if t.descriptor and t.descriptor != "null" and not _is_sealed(t.descriptor):
                plain = json.dumps(json.loads(t.descriptor), separators=(",", ":"))
                t.descriptor = _seal(plain.encode(), newest, ring)
            elif t.descriptor == "null":
                t.descriptor = None
        FaceTemplate.objects.bulk_update(rows, ["photo", "descriptor"])
    sessions = FaceSession.objects.only("pk", "state", "evidence").exclude(
        state__isnull=True, evidence__isnull=True
    )
    for rows in _batches(sessions):
        for s in rows:
            if s.state is not None and not _is_sealed(s.state):
                plain = json.dumps(s.state, separators=(",", ":")).encode()
                s.state = _seal(plain, newest, ring)
            if s.evidence:
                s.evidence = [
                    f if _is_sealed(f) else _seal(base64.b64decode(f), newest, ring)
                    for f in s.evidence
                ]
        FaceSession.objects.bulk_update(rows, ["state", "evidence"])


def unseal(apps, schema_editor):
    _newest, ring = _keys()
    FaceTemplate = apps.get_model("certification", "FaceTemplate")
    FaceSession = apps.get_model("certification", "FaceSession")
    for rows in _batches(FaceTemplate.objects.only("pk", "photo", "descriptor")):
        for t in rows:
            if _is_sealed(t.photo):
                t.photo = _open(t.photo, ring)
            if _is_sealed(t.descriptor):
                t.descriptor = _open(t.descriptor, ring).decode()
        FaceTemplate.objects.bulk_update(rows, ["photo", "descriptor"])
    sessions = FaceSession.objects.only("pk", "state", "evidence").exclude(
        state__isnull=True, evidence__isnull=True
    )
    for rows in _batches(sessions):
        for s in rows:
            if _is_sealed(s.state):
                s.state = json.loads(_open(s.state, ring))
            if s.evidence:
                s.evidence = [
                    base64.b64encode(_open(f, ring)).decode("ascii")
                    if _is_sealed(f)
                    else f
                    for f in s.evidence
                ]
        FaceSession.objects.bulk_update(rows, ["state", "evidence"])


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0004_face_template_descriptor_sealed_text"),
    ]

    operations = [migrations.RunPython(seal, unseal)]
