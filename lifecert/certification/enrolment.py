"""建模: enrolling a reference photo for a person.

The photo is stored and its descriptor computed through the face seam
(:mod:`lifecert.certification.face`) in the same transaction. A photo the
engine refuses is kept with the reason so staff can tell the person what to
bring instead.

Both are biometrics: they are sealed with :mod:`lifecert.core.vault` before they
reach the database, and this module is the only one that opens them.
"""

from typing import Any

from django.db import transaction

from lifecert.core import audit, vault
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.models import Person

from . import face
from .models import FaceTemplate

MAX_PHOTO_BYTES = 10 * 1024 * 1024


class EnrolmentRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def compute_descriptor(template: FaceTemplate) -> FaceTemplate:
    """Run the engine on the stored photo and record the descriptor or the reason."""
    try:
        descriptor = face.enrol(reference_photo(template))
    except face.EnrolRefused as exc:
        template.status = FaceTemplate.Status.FAILED
        template.failure_reason = exc.message
        template.descriptor = None
    else:
        template.status = FaceTemplate.Status.READY
        template.failure_reason = ""
        template.descriptor = vault.seal_json(descriptor)
    template.save(update_fields=["status", "failure_reason", "descriptor"])
    return template


def enrol_photo(
    *,
    person: Person,
    photo: bytes,
    content_type: str,
    acting_user: Any,
    ip: str | None = None,
) -> FaceTemplate:
    """Store a reference photo for ``person`` and compute its descriptor."""
    if not photo:
        raise EnrolmentRefused("照片文件为空，请重新选择。")
    if len(photo) > MAX_PHOTO_BYTES:
        raise EnrolmentRefused("照片超过 10 MB，请压缩后重新上传。")
    with transaction.atomic():
        template = FaceTemplate.objects.create(
            person=person,
            photo=vault.seal(photo).encode("ascii"),
            content_type=content_type[:40],
            created_by=acting_user,
        )
        compute_descriptor(template)
        audit.record(
            AuditAction.FACE_ENROL,
            acting_user=acting_user,
            target=person,
            ip=ip,
            after={"template": str(template.public_id), "status": template.status},
        )
    return template


def reference_photo(template: FaceTemplate) -> bytes:
    """The enrolled photo's bytes, opened from the vault."""
    return vault.open_bytes(template.photo)


def reference_descriptors(person: Person) -> list[list[float]]:
    """Every ready descriptor of the person, newest first, opened from the vault."""
    sealed = (
        person.face_templates.filter(status=FaceTemplate.Status.READY)
        .exclude(descriptor=None)
        .order_by("-created_at")
        .values_list("descriptor", flat=True)
    )
    return [[float(x) for x in vault.open_json(s)] for s in sealed if s]
