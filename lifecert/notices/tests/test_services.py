import datetime

import pytest
from django.utils import timezone

from lifecert.core.models import AuditEvent
from lifecert.demo.testing import make_region, make_staff_user
from lifecert.notices.models import Notice
from lifecert.notices.services import (
    NoticeError,
    update_notice,
    withdraw_notice,
)

from .helpers import PDF, fields, make_notice, pdf_upload

pytestmark = pytest.mark.django_db


def test_province_staff_publish_a_province_wide_notice_rendered_and_audited() -> None:
    province = make_staff_user(None)
    notice = make_notice(province, attachment=pdf_upload())
    assert notice.region is None
    assert "<li>每年认证一次</li>" in notice.body_html
    assert notice.attachment_name == "通知.pdf"
    assert notice.attachment_type == "application/pdf"
    # In the database, not on one machine's disk.
    stored = Notice.objects.get().attachment_data
    assert bytes(stored) == PDF
    event = AuditEvent.objects.get(action="notice.publish")
    assert event.actor == province
    assert event.target_id == str(notice.public_id)
    assert event.region_id is None
    assert event.after["region"] == "全省"
    assert event.after["attachment"] == "通知.pdf"


def test_regional_staff_publish_for_their_region_only() -> None:
    gz, sz = make_region("440100"), make_region("440300")
    staff = make_staff_user(gz)
    notice = make_notice(staff, region=gz)
    assert AuditEvent.objects.get(action="notice.publish").region_id == gz.pk
    with pytest.raises(NoticeError, match="只能发布本地区"):
        make_notice(staff, region=sz)
    with pytest.raises(NoticeError, match="省级经办人员"):
        make_notice(staff, region=None)
    assert list(Notice.objects.all()) == [notice]


def test_the_withdrawal_must_come_after_the_publication() -> None:
    now = timezone.now()
    with pytest.raises(NoticeError) as refused:
        make_notice(make_staff_user(None), publish_at=now, withdraw_at=now)
    assert refused.value.field == "withdraw_at"
    assert not Notice.objects.exists()


def test_an_attachment_of_the_wrong_type_is_refused_on_the_attachment_field() -> None:
    with pytest.raises(NoticeError) as refused:
        make_notice(make_staff_user(None), attachment=pdf_upload("x.exe"))
    assert refused.value.field == "attachment"
    assert not Notice.objects.exists()


def test_an_update_keeps_before_and_after_and_replaces_the_file() -> None:
    province = make_staff_user(None)
    notice = make_notice(province, attachment=pdf_upload("旧.pdf"))
    new_content = PDF + b"% new\n"
    update_notice(
        acting_user=province,
        notice=notice,
        fields=fields(title="新标题", body="**新**正文"),
        attachment=pdf_upload("新.pdf", new_content),
    )
    notice.refresh_from_db()
    assert notice.title == "新标题"
    assert notice.body_html == "<p><strong>新</strong>正文</p>"
    assert notice.attachment_name == "新.pdf"
    assert bytes(notice.attachment_data) == new_content
    assert notice.attachment_size == len(new_content)
    event = AuditEvent.objects.get(action="notice.update")
    assert event.before["title"] == "关于养老待遇资格认证的解读"
    assert event.after["title"] == "新标题"
    assert (event.before["attachment"], event.after["attachment"]) == (
        "旧.pdf",
        "新.pdf",
    )


def test_an_update_may_remove_the_attachment() -> None:
    province = make_staff_user(None)
    notice = make_notice(province, attachment=pdf_upload())
    update_notice(
        acting_user=province, notice=notice, fields=fields(), remove_attachment=True
    )
    notice.refresh_from_db()
    assert bytes(notice.attachment_data) == b""
    assert notice.attachment_name == ""
    assert notice.attachment_size == 0


def test_an_update_by_regional_staff_cannot_make_it_province_wide() -> None:
    gz = make_region("440100")
    staff = make_staff_user(gz)
    notice = make_notice(staff, region=gz)
    with pytest.raises(NoticeError):
        update_notice(acting_user=staff, notice=notice, fields=fields(region=None))
    notice.refresh_from_db()
    assert notice.region == gz
    assert not AuditEvent.objects.filter(action="notice.update").exists()


def test_withdrawing_hides_the_notice_at_once_and_is_audited() -> None:
    province = make_staff_user(None)
    notice = make_notice(province)
    assert Notice.objects.visible().count() == 1
    withdraw_notice(acting_user=province, notice=notice, ip="127.0.0.1")
    assert Notice.objects.visible().count() == 0
    assert notice.state() == "已撤回"
    event = AuditEvent.objects.get(action="notice.withdraw")
    assert event.before["withdraw_at"] is None
    assert event.after["withdraw_at"] is not None
    assert event.ip == "127.0.0.1"
    # A second withdrawal changes nothing and writes nothing.
    first = notice.withdraw_at
    withdraw_notice(acting_user=province, notice=notice)
    notice.refresh_from_db()
    assert notice.withdraw_at == first
    assert AuditEvent.objects.filter(action="notice.withdraw").count() == 1


def test_visibility_follows_the_publish_and_withdraw_dates() -> None:
    province = make_staff_user(None)
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    notice = make_notice(province, publish_at=now + hour, withdraw_at=now + 3 * hour)
    assert notice.state(now) == "待发布"
    assert not Notice.objects.visible(now).exists()
    assert notice.state(now + 2 * hour) == "已发布"
    assert Notice.objects.visible(now + 2 * hour).get() == notice
    assert notice.state(now + 3 * hour) == "已撤回"
    assert not Notice.objects.visible(now + 3 * hour).exists()
