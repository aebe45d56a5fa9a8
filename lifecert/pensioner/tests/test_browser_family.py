"""家属协助 in a real browser: a personal account adds the pensioner it helps.

The link is made only after the pensioner's own face passes on the server: the
face session run while adding is the pensioner's (matched against the
pensioner's enrolled photo), and it also records the pensioner's
certification. The fake camera is the enrolled man doing the actions when
prompted, as in ``test_browser_certify.py``, whose ``webcam_man`` performer
and photo enrolment are reused here.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lifecert.accounts.models import FamilyLink
from lifecert.certification.models import Certification, FaceSession
from lifecert.core.models import AuditEvent
from lifecert.demo import testing
from lifecert.pensioner.services import NAME_SSN_MISMATCH

from .browser import CHALLENGE, VERDICT_TIMEOUT, Shots, enrol, follow

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


HELPER_NAME = "杨晓东"  # the pensioner's son, who has a personal account
PENSIONER_NAME = "杨书维"  # ``personas.pensioner``: the man in the clips
PENSIONER_SSN = "43060319920301203X"
PENSIONER_MASKED = "4306**********203X"


def _helper():
    person = testing.make_person(
        name=HELPER_NAME, ssn=testing.make_ssn(region="440106", born="19880612")
    )
    return testing.make_personal_user(person)


def _log_in(page, base_url: str, helper) -> None:
    page.goto(base_url + "/accounts/personal/login/")
    page.get_by_label("社会保障号码", exact=True).fill(helper.username)
    page.get_by_label("密码", exact=True).fill(testing.TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#welcome")).to_have_text(f"欢迎回来, {HELPER_NAME}。")


def _add(page, name: str, ssn: str) -> None:
    page.get_by_label("家人登记的姓名").fill(name)
    page.get_by_label("家人登记的社会保障号码").fill(ssn)
    page.get_by_role("button", name="下一步：家人本人人脸认证").click()


def test_helper_adds_the_pensioner_after_the_pensioners_face_passes(
    live_server,
    launch_browser,
    fake_camera,
    webcam_man,
    personas,
    settings,
    screenshot_dir,
):
    settings.FACE_FIXED_CHALLENGE = CHALLENGE
    enrol(personas.pensioner, webcam_man.enrolment)
    helper = _helper()
    page = launch_browser().new_page(viewport={"width": 1280, "height": 900})
    fake_camera(page, webcam_man)
    shots = Shots(page, screenshot_dir, "family-")

    # The son logs in to his own account: no pension of his own.
    _log_in(page, live_server.url, helper)
    expect(page.locator("main")).to_contain_text("暂无养老待遇记录。")
    page.locator("nav.topnav").get_by_role("link", name="家属协助").click()
    expect(page.locator("h1")).to_have_text("家属协助")
    expect(page.locator("#family tbody")).to_have_text("您还没有添加协助的家人。")
    shots("01-empty")

    # He adds his father: the page asks for the father's own face first.
    _add(page, PENSIONER_NAME, PENSIONER_SSN)
    page.wait_for_url("**/personal/certify/")
    expect(page.locator(".messages")).to_contain_text(
        f"请让 {PENSIONER_NAME} 本人面对摄像头完成一次人脸认证，"
        "认证成功后即添加为您协助的家人，这次认证也记为TA本期的资格认证。"
    )
    expect(page.locator("#cert-person")).to_have_text(PENSIONER_NAME)
    expect(page.locator("p.lead")).to_contain_text(
        f"添加家人：请 {PENSIONER_NAME} 本人面对摄像头"
    )
    assert not FamilyLink.objects.exists()
    expect(page.locator("#start")).to_be_enabled(timeout=30_000)
    shots("02-face-check")
    page.locator("#start").click()
    expect(page.locator("#verdict")).to_have_text(
        "恭喜您，认证成功", timeout=VERDICT_TIMEOUT
    )
    page.wait_for_url("**/certify/sessions/*/", timeout=30_000)
    expect(page.locator(".result dl")).to_contain_text(PENSIONER_NAME)
    shots("03-verdict")

    # What the server wrote: the pensioner's passed session, his certification
    # done by the son's account, the link and its audit row.
    session = FaceSession.objects.get()
    assert (session.person, session.account) == (personas.pensioner, helper)
    assert session.status == FaceSession.Status.PASSED
    link = FamilyLink.objects.get()
    assert (link.account, link.person) == (helper, personas.pensioner)
    event = AuditEvent.objects.get(action="family.link")
    assert (event.actor, event.target_id) == (helper, str(link.public_id))
    assert event.after == {
        "person": str(personas.pensioner.public_id),
        "face_session": str(session.public_id),
    }
    certification = Certification.objects.get()
    assert certification.person == personas.pensioner
    assert (certification.channel, certification.operator) == ("face", helper)
    assert session.certification == certification
    certified_at = timezone.localtime(certification.certified_at)
    shown_time = certified_at.strftime("%Y-%m-%d %H:%M:%S")

    # The father is now in the son's family list, certified just now.
    page.locator("nav.topnav").get_by_role("link", name="家属协助").click()
    rows = page.locator("#family tbody tr")
    expect(rows).to_have_count(1)
    for text in (PENSIONER_NAME, PENSIONER_MASKED, "广州市", shown_time, "正常"):
        expect(rows.first).to_contain_text(text)
    shots("04-family-list")

    # Adding him a second time is refused on the page.
    _add(page, PENSIONER_NAME, PENSIONER_SSN)
    expect(page.locator(".errorbox")).to_have_text("已添加过这位家人。")
    assert FamilyLink.objects.count() == 1

    # 为TA认证 switches to the father's own user centre.
    rows.first.get_by_role("button", name="为TA认证").click()
    expect(page.locator("#welcome")).to_have_text(f"欢迎回来, {PENSIONER_NAME}。")
    expect(page.locator("#person-name")).to_have_text(PENSIONER_NAME)
    expect(page.locator("#person-ssn")).to_have_text(PENSIONER_MASKED)
    expect(page.locator("#current-region")).to_have_text("广州市")
    expect(page.locator("#last-certified")).to_have_text(shown_time)
    expect(page.locator("#entitlement-status")).to_have_text("正常")
    expect(page.locator("#enter-cert")).to_have_text("进入资格认证")
    shots("05-pensioner-centre")
    follow(page, page.locator("#enter-cert"), "/personal/certify/")
    expect(page.locator("#cert-person")).to_have_text(PENSIONER_NAME)
    expect(page.locator("p.lead")).not_to_contain_text("添加家人")
    expect(page.locator("#check-status")).to_contain_text("摄像头正常", timeout=30_000)
    page.locator("nav.topnav").get_by_role("link", name="养老退休认证信息查询").click()
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("人脸自助")
    expect(history.first).to_contain_text(PENSIONER_MASKED)

    # 切换回本人 goes back to the son's own centre, which lists his family.
    page.locator("nav.topnav").get_by_role("link", name="用户中心").click()
    page.get_by_role("button", name="切换回本人").click()
    expect(page.locator("#welcome")).to_have_text(f"欢迎回来, {HELPER_NAME}。")
    expect(page.locator("main")).to_contain_text("我协助的家人")
    expect(page.locator("main")).to_contain_text("（共 1 位）")
    assert Certification.objects.count() == 1


def test_a_number_or_name_not_in_the_registry_adds_nobody(
    live_server, launch_browser, personas, screenshot_dir
):
    helper = _helper()
    page = launch_browser().new_page(viewport={"width": 1280, "height": 900})
    _log_in(page, live_server.url, helper)
    page.locator("nav.topnav").get_by_role("link", name="家属协助").click()
    expect(page.locator("h1")).to_have_text("家属协助")
    family_url = page.url

    # A well-formed number nobody is registered under.
    unknown = testing.make_ssn(region="440104", born="19500101")
    _add(page, PENSIONER_NAME, unknown)
    expect(page.locator(".errorbox")).to_have_text(NAME_SSN_MISMATCH)
    expect(page.locator(".errorbox")).to_contain_text("与社保机构登记的信息不一致")
    assert page.url == family_url
    expect(page.locator("#family tbody")).to_have_text("您还没有添加协助的家人。")

    # The pensioner's real number under another name.
    _add(page, "杨树伟", PENSIONER_SSN)
    expect(page.locator(".errorbox")).to_have_text(NAME_SSN_MISMATCH)
    expect(page.locator("#family tbody")).to_have_text("您还没有添加协助的家人。")
    Shots(page, screenshot_dir, "family-")("06-refused")

    # The son's own number: he is not his own family member.
    _add(page, HELPER_NAME, helper.username)
    expect(page.locator(".errorbox")).to_have_text("这是您本人，无需添加。")

    # Nothing was linked, and the browser still acts for the son himself.
    assert not FamilyLink.objects.exists()
    assert not FaceSession.objects.exists()
    page.goto(live_server.url + "/personal/")
    expect(page.locator("#welcome")).to_have_text(f"欢迎回来, {HELPER_NAME}。")
    expect(page.locator("main")).not_to_contain_text("我协助的家人")
