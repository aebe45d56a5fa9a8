"""人工审核影像: the review page shows the kept frames of the failed session,
served one by one after the region check, audited, never cached; staff of
another region get 404; once purged the page says when they went."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from lifecert.certification import face_sessions
from lifecert.certification.models import FaceSession, ReviewRequest
from lifecert.core import vault
from lifecert.core.audit_actions import AuditAction
from lifecert.core.models import AuditEvent
from lifecert.demo import testing
from lifecert.pensioner.tests.helpers import enrol_ready, frame

pytestmark = pytest.mark.django_db

JPEGS = [b"\xff\xd8\xff\xe0frame-one", b"\xff\xd8\xff\xe0frame-two"]


def _failed_session(personas, *, frames=JPEGS, until=None):
    return FaceSession.objects.create(
        person=personas.pensioner,
        region=personas.region,
        challenge={"actions": ["blink"]},
        status=FaceSession.Status.FAILED,
        verdict="mismatch",
        face_seen=True,
        score=0.81,
        frames_seen=40,
        expires_at=timezone.now(),
        finished_at=timezone.now(),
        evidence=[vault.seal(f) for f in frames] or None,
        evidence_until=until or timezone.now() + datetime.timedelta(days=30),
    )


def _review(personas, session):
    return ReviewRequest.objects.create(
        person=personas.pensioner,
        region=personas.region,
        reason="人脸认证失败",
        face_session=session,
    )


def _page(review):
    return reverse("backoffice:review-detail", args=[review.public_id])


def _frame(review, index):
    return reverse("backoffice:review-frame", args=[review.public_id, index])


def test_staff_of_the_region_see_the_kept_frames_each_view_audited(client, personas):
    review = _review(personas, _failed_session(personas))
    client.force_login(personas.staff)
    page = client.get(_page(review)).content.decode()
    assert 'id="evidence-kept"' in page
    assert _frame(review, 0) in page
    assert _frame(review, 1) in page
    assert personas.pensioner.ssn not in page  # masked
    assert not AuditEvent.objects.filter(action=AuditAction.REVIEW_EVIDENCE_VIEW)
    for index, jpeg in enumerate(JPEGS):
        response = client.get(_frame(review, index))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "no-store, private"
        assert response.content == jpeg
    events = AuditEvent.objects.filter(action=AuditAction.REVIEW_EVIDENCE_VIEW)
    assert [e.after["frame"] for e in events.order_by("id")] == [1, 2]
    event = events.first()
    assert event.actor == personas.staff
    assert event.target_id == str(review.public_id)
    assert event.region_id == personas.region.pk
    assert event.after["face_session"] == str(review.face_session.public_id)


def test_staff_of_another_region_get_404_and_nothing_is_opened(client, personas):
    review = _review(personas, _failed_session(personas))
    client.force_login(personas.outsider_staff)
    assert client.get(_page(review)).status_code == 404
    assert client.get(_frame(review, 0)).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.REVIEW_EVIDENCE_VIEW)


def test_other_kinds_of_account_never_reach_a_frame(client, personas):
    review = _review(personas, _failed_session(personas))
    assert client.get(_frame(review, 0)).status_code == 302  # to the staff login
    for user in (personas.pensioner_user, personas.unit_user):
        client.force_login(user)
        assert client.get(_frame(review, 0)).status_code == 403


def test_province_staff_see_any_region(client, personas):
    review = _review(personas, _failed_session(personas))
    client.force_login(testing.make_staff_user(None, username="province_rev"))
    assert client.get(_frame(review, 1)).content == JPEGS[1]


def test_a_frame_past_the_last_is_404_and_not_audited(client, personas):
    review = _review(personas, _failed_session(personas))
    client.force_login(personas.staff)
    assert client.get(_frame(review, 2)).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.REVIEW_EVIDENCE_VIEW)


def test_after_the_purge_the_page_says_when_the_frames_went(client, personas):
    session = _failed_session(personas)
    review = _review(personas, session)
    gone = timezone.now() - datetime.timedelta(hours=1)
    FaceSession.objects.filter(pk=session.pk).update(evidence_until=gone)
    client.force_login(personas.staff)
    # Past the window, not yet purged: already not shown.
    assert client.get(_frame(review, 0)).status_code == 404
    call_command("purge_face_evidence")
    session.refresh_from_db()
    assert session.evidence is None
    assert session.evidence_until == gone
    page = client.get(_page(review)).content.decode()
    assert 'id="evidence-purged"' in page
    assert timezone.localtime(gone).strftime("%Y-%m-%d %H:%M") in page
    assert "review-frame" not in page
    assert "/frames/" not in page
    assert client.get(_frame(review, 0)).status_code == 404


def test_a_review_without_a_session_says_nothing_was_kept(client, personas):
    review = _review(personas, None)
    client.force_login(personas.staff)
    page = client.get(_page(review)).content.decode()
    assert 'id="evidence-none"' in page
    assert client.get(_frame(review, 0)).status_code == 404


def test_the_queue_links_each_case_to_its_evidence(client, personas):
    review = _review(personas, _failed_session(personas))
    client.force_login(personas.staff)
    assert (
        _page(review) in client.get(reverse("backoffice:review-queue")).content.decode()
    )


def test_the_third_failure_links_the_review_to_its_session(client, personas, stand_in):
    enrol_ready(personas.pensioner)
    client.force_login(personas.pensioner_user)
    start = reverse("pensioner:session-start")
    last = None
    for _ in range(3):
        last = client.post(start).json()["id"]
        client.post(
            reverse("pensioner:session-frame", args=[last]),
            data=frame("MISMATCH"),
            content_type="image/jpeg",
        )
    review = ReviewRequest.objects.get(person=personas.pensioner)
    assert str(review.face_session.public_id) == last
    assert review.face_session.evidence  # the frames staff will see


def test_a_review_opened_at_a_blocked_start_links_the_days_last_failure(personas):
    _failed_session(personas)
    _failed_session(personas)
    # Two failures today: not blocked yet, no review.
    assert (
        face_sessions._review_if_blocked(
            personas.pensioner, personas.region.pk, None, None, None
        )
        is None
    )
    latest = _failed_session(personas)
    review = face_sessions._review_if_blocked(
        personas.pensioner, personas.region.pk, None, None, None
    )
    assert review is not None
    assert review.face_session == latest


def test_the_migration_links_older_reviews_to_their_session(personas):
    from importlib import import_module

    from django.apps import apps

    fill = import_module(
        "lifecert.certification.migrations.0010_fill_review_face_session"
    ).fill
    session = _failed_session(personas)
    review = _review(personas, None)
    orphan = ReviewRequest.objects.create(
        person=testing.make_person(), region=personas.region, reason="x"
    )
    fill(apps, None)
    review.refresh_from_db()
    orphan.refresh_from_db()
    assert review.face_session == session
    assert orphan.face_session is None
    fill(apps, None)  # again: nothing changes
    review.refresh_from_db()
    assert review.face_session == session
