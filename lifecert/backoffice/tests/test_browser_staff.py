"""As staff would, in a real browser: the province makes a regional account
whose holder logs in with the slip's password; Guangzhou staff look at the
kept frames of a review case and approve it."""

import datetime
import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from lifecert.certification.models import Certification, FaceSession, ReviewRequest
from lifecert.core import vault
from lifecert.demo import testing

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page, url, username, password):
    page.goto(f"{url}/accounts/staff/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/backoffice/")


def _jpeg(colour):
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_province_creates_an_account_its_holder_logs_in_with(
    live_server, launch_browser, personas
):
    testing.make_staff_user(None, username="pat_province")
    browser = launch_browser()
    page = browser.new_page()
    page.set_default_timeout(15000)
    _log_in(page, live_server.url, "pat_province", testing.TEST_PASSWORD)
    page.click("text=经办人员账号")
    page.fill("#id_username", "gz_officer_new")
    page.fill("#id_display_name", "何经办")
    page.select_option("#id_region", personas.region.code)
    page.click("#create-staff")
    expect(page.locator("#new-account-note")).to_contain_text("广州市")
    temporary = page.locator("#temp-password").inner_text()
    holder = browser.new_context().new_page()
    _log_in(holder, live_server.url, "gz_officer_new", temporary)
    expect(holder.locator("h1")).to_be_visible()


def test_staff_see_the_kept_frames_and_approve_the_review(
    live_server, launch_browser, personas
):
    session = FaceSession.objects.create(
        person=personas.pensioner,
        region=personas.region,
        challenge={"actions": ["blink"]},
        status=FaceSession.Status.FAILED,
        verdict="mismatch",
        face_seen=True,
        expires_at=datetime.datetime.now(datetime.UTC),
        evidence=[vault.seal(_jpeg(c)) for c in ((200, 150, 120), (90, 60, 50))],
        evidence_until=datetime.datetime.now(datetime.UTC)
        + datetime.timedelta(days=30),
    )
    review = ReviewRequest.objects.create(
        person=personas.pensioner,
        region=personas.region,
        reason="人脸认证失败",
        face_session=session,
    )
    page = launch_browser().new_page()
    page.set_default_timeout(15000)
    refused = []
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and refused.append(m.text),
    )
    _log_in(page, live_server.url, "carol_staff", testing.TEST_PASSWORD)
    page.goto(f"{live_server.url}/backoffice/reviews/")
    page.click("text=查看认证影像")
    images = page.locator(".review-frames img")
    expect(images).to_have_count(2)
    for index in range(2):
        loaded = images.nth(index).evaluate(
            "img => img.complete ? img.naturalWidth : "
            "new Promise(ok => img.onload = () => ok(img.naturalWidth))"
        )
        assert loaded == 320
    page.click("button[value=approved]")
    expect(page.locator("body")).to_contain_text("已记录资格认证（人工审核）")
    review.refresh_from_db()
    assert review.status == ReviewRequest.Status.APPROVED
    assert Certification.objects.filter(
        person=personas.pensioner, channel="review"
    ).exists()
    assert refused == []
