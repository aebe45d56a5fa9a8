"""建模 through the face seam: refusals keep the reason, nothing half-written."""

import pytest

from lifecert.certification import enrolment
from lifecert.certification.models import FaceTemplate
from lifecert.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("photo", "words"),
    [(b"", "照片文件为空"), (b"x" * (enrolment.MAX_PHOTO_BYTES + 1), "超过 10 MB")],
)
def test_an_empty_or_oversized_photo_is_refused_before_storing(personas, photo, words):
    with pytest.raises(enrolment.EnrolmentRefused, match=words):
        enrolment.enrol_photo(
            person=personas.pensioner,
            photo=photo,
            content_type="image/jpeg",
            acting_user=personas.staff,
        )
    assert not FaceTemplate.objects.exists()


def test_a_photo_the_engine_refuses_is_kept_with_its_reason(personas):
    template = enrolment.enrol_photo(
        person=personas.pensioner,
        photo=b"\xff\xd8\xff not really a photo",
        content_type="image/jpeg",
        acting_user=personas.staff,
    )
    assert template.status == FaceTemplate.Status.FAILED
    assert template.failure_reason
    assert template.descriptor is None
    assert enrolment.reference_descriptors(personas.pensioner) == []
    assert AuditEvent.objects.filter(action="face.enrol").exists()
