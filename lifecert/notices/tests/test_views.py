import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from lifecert.conftest import Personas
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import make_staff_user
from lifecert.notices.models import Notice

from .helpers import PDF, make_notice, pdf_upload


@pytest.fixture
def province(db: None) -> object:
    return make_staff_user(None, username="province_staff")


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# ---------------------------------------------------------------- public pages


def test_the_home_page_shows_the_latest_of_each_category(
    client: Client, province: object
) -> None:
    for n in range(8):
        make_notice(
            province,
            category="news",
            title=f"工作动态第{n}条",
            publish_at=timezone.now() - datetime.timedelta(days=10 - n),
        )
    make_notice(province, category="announcement", title="拟聘人选公示")
    make_notice(
        province,
        category="policy",
        title="未到发布时间",
        publish_at=timezone.now() + datetime.timedelta(days=1),
    )
    page = client.get(reverse("home")).content.decode()
    assert "工作动态第7条" in page
    assert "工作动态第1条" not in page  # only the newest six
    assert page.index("工作动态第7条") < page.index("工作动态第6条")
    assert "拟聘人选公示" in page
    assert "未到发布时间" not in page
    assert page.count("暂无内容") == 1  # 政策解读 has none published yet
    assert f"{reverse('notices:list')}?category=policy" in page


def test_the_list_filters_by_category_and_region(
    client: Client, personas: Personas
) -> None:
    province = make_staff_user(None)
    make_notice(province, title="全省政策", category="policy")
    make_notice(
        personas.staff, title="广州动态", category="news", region=personas.region
    )
    make_notice(
        personas.outsider_staff,
        title="深圳动态",
        category="news",
        region=personas.other_region,
    )
    everything = client.get(reverse("notices:list")).content.decode()
    assert all(t in everything for t in ("全省政策", "广州动态", "深圳动态"))
    news = client.get(reverse("notices:list"), {"category": "news"})
    assert news.context["title"] == "工作动态"
    assert "全省政策" not in news.content.decode()
    guangzhou = client.get(
        reverse("notices:list"), {"region": "440100"}
    ).content.decode()
    assert "广州动态" in guangzhou
    assert "全省政策" in guangzhou
    assert "深圳动态" not in guangzhou
    # An unknown filter shows everything rather than an error.
    odd = client.get(reverse("notices:list"), {"category": "x", "region": "999999"})
    assert odd.status_code == 200
    assert "深圳动态" in odd.content.decode()


def test_the_detail_shows_the_sanitised_body_and_the_attachment(
    client: Client, province: object
) -> None:
    notice = make_notice(
        province,
        body="正文<script>alert(1)</script> [链接](javascript:alert(2))",
        attachment=pdf_upload(),
    )
    page = client.get(reverse("notices:detail", args=[notice.public_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<script>alert" not in html
    assert "javascript:" not in html
    assert "通知.pdf" in html
    download = client.get(reverse("notices:attachment", args=[notice.public_id]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize("when", ["future", "withdrawn"])
def test_a_notice_not_shown_now_is_not_found(
    client: Client, province: object, when: str
) -> None:
    now = timezone.now()
    if when == "future":
        notice = make_notice(
            province,
            publish_at=now + datetime.timedelta(hours=1),
            attachment=pdf_upload(),
        )
    else:
        notice = make_notice(
            province,
            withdraw_at=now - datetime.timedelta(minutes=1),
            publish_at=now - datetime.timedelta(hours=1),
            attachment=pdf_upload(),
        )
    assert (
        client.get(reverse("notices:detail", args=[notice.public_id])).status_code
        == 404
    )
    url = reverse("notices:attachment", args=[notice.public_id])
    assert client.get(url).status_code == 404
    # The staff who manage it still open its attachment before publication.
    client.force_login(province)  # type: ignore[arg-type]
    assert client.get(url).status_code == 200


def test_a_notice_without_attachment_has_no_download(
    client: Client, province: object
) -> None:
    notice = make_notice(province)
    url = reverse("notices:attachment", args=[notice.public_id])
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------- staff pages


def test_regional_staff_manage_only_their_regions_notices(
    client: Client, personas: Personas
) -> None:
    mine = make_notice(personas.staff, title="广州公告", region=personas.region)
    theirs = make_notice(
        personas.outsider_staff, title="深圳公告", region=personas.other_region
    )
    client.force_login(personas.staff)
    page = client.get(reverse("notices:manage")).content.decode()
    assert "广州公告" in page
    assert "深圳公告" not in page
    assert client.get(reverse("notices:edit", args=[mine.public_id])).status_code == 200
    assert (
        client.get(reverse("notices:edit", args=[theirs.public_id])).status_code == 404
    )
    withdraw = reverse("notices:withdraw", args=[theirs.public_id])
    assert client.post(withdraw).status_code == 404
    theirs.refresh_from_db()
    assert theirs.withdraw_at is None


def test_staff_publish_with_an_attachment_and_the_notice_shows(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.staff)
    form = client.get(reverse("notices:create"))
    assert form.context["form"].fields["region"].required
    response = client.post(
        reverse("notices:create"),
        {
            "category": "announcement",
            "title": "2026年度认证安排公示",
            "body": "请于 **6 月底前** 完成认证。",
            "region": "440100",
            "publish_at": _local(timezone.now() - datetime.timedelta(minutes=5)),
            "attachment": pdf_upload("安排.pdf"),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("notices:manage")
    notice = Notice.objects.get()
    assert notice.region == personas.region
    assert notice.created_by == personas.staff
    listing = client.get(response["Location"]).content.decode()
    assert "已在门户显示" in listing
    assert "已发布" in listing
    assert "2026年度认证安排公示" in client.get(reverse("home")).content.decode()


def test_a_refused_publication_says_why_on_the_field(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.staff)
    now = timezone.now()
    response = client.post(
        reverse("notices:create"),
        {
            "category": "news",
            "title": "标题",
            "body": "正文",
            "region": "440100",
            "publish_at": _local(now),
            "withdraw_at": _local(now - datetime.timedelta(days=1)),
            "attachment": pdf_upload("病毒.exe"),
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "撤回时间须晚于发布时间" in str(errors["withdraw_at"])
    assert not Notice.objects.exists()
    # A region outside the staff member's is not even a choice.
    other = client.post(
        reverse("notices:create"),
        {
            "category": "news",
            "title": "t",
            "body": "b",
            "region": "440300",
            "publish_at": _local(now),
        },
    )
    assert "region" in other.context["form"].errors
    assert not Notice.objects.exists()


def test_the_province_edits_removes_the_attachment_and_withdraws(
    client: Client, province: object
) -> None:
    notice = make_notice(
        province,
        attachment=pdf_upload(),
        publish_at=timezone.now() + datetime.timedelta(days=2),
    )
    client.force_login(province)  # type: ignore[arg-type]
    url = reverse("notices:edit", args=[notice.public_id])
    page = client.get(url)
    assert "remove_attachment" in page.context["form"].fields
    assert not page.context["form"].fields["region"].required  # 全省 allowed
    assert "待发布" in client.get(reverse("notices:manage")).content.decode()
    response = client.post(
        url,
        {
            "category": "policy",
            "title": "修改后的标题",
            "body": "新正文",
            "region": "",
            "publish_at": _local(notice.publish_at),
            "remove_attachment": "on",
        },
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.title == "修改后的标题"
    assert notice.attachment_name == ""
    withdraw = client.post(reverse("notices:withdraw", args=[notice.public_id]))
    assert withdraw.status_code == 302
    notice.refresh_from_db()
    assert notice.state() == "已撤回"
    assert list(
        AuditEvent.objects.filter(target_id=str(notice.public_id))
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["notice.publish", "notice.update", "notice.withdraw"]


def test_an_edit_refused_by_the_rules_keeps_the_notice(
    client: Client, personas: Personas
) -> None:
    notice = make_notice(personas.staff, region=personas.region)
    client.force_login(personas.staff)
    response = client.post(
        reverse("notices:edit", args=[notice.public_id]),
        {
            "category": "policy",
            "title": "改",
            "body": "b",
            "region": "440100",
            "publish_at": _local(timezone.now()),
            "attachment": pdf_upload("a.svg"),
        },
    )
    assert response.status_code == 200
    assert "附件只能是" in str(response.context["form"].errors["attachment"])
    notice.refresh_from_db()
    assert notice.title != "改"


def test_an_attachment_over_the_request_limit_is_refused_before_reading(
    client: Client, personas: Personas, settings: Settings
) -> None:
    client.force_login(personas.staff)
    limit = settings.NOTICE_ATTACHMENT_MAX_BYTES + 256 * 1024
    response = client.generic(
        "POST",
        reverse("notices:create"),
        b"x" * 10,
        CONTENT_LENGTH=str(limit + 1),
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == 413


def test_the_home_page_and_the_list_read_a_bounded_number_of_rows(
    client: Client, province: object, django_assert_max_num_queries: Any
) -> None:
    for n in range(15):
        make_notice(province, category=("policy", "news")[n % 2], title=f"公告{n}")
    with django_assert_max_num_queries(4):  # one per category, regions joined
        assert client.get(reverse("home")).status_code == 200
    with django_assert_max_num_queries(4):  # the filter's regions, count, page
        assert client.get(reverse("notices:list")).status_code == 200


def test_the_manage_list_reads_as_cards_on_a_phone(
    client: Client, personas: Personas
) -> None:
    """Found at 375 px: the table scrolled sideways and squeezed 栏目 to one
    character a line under a long title (a URL) or attachment name."""
    make_notice(
        personas.staff,
        title="https://rlsbj.gz.gov.cn/" + "x" * 90,
        region=personas.region,
    )
    client.force_login(personas.staff)
    page = client.get(reverse("notices:manage")).content.decode()
    assert '<table class="grid cards-on-phone" id="notice-manage">' in page
    assert '<td data-label="标题" class="wrap-any">' in page
    assert '<td data-label="附件" class="wrap-any">' in page


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["trace", "options"])
def test_the_home_page_answers_only_get_and_head(client, method):
    """It answered TRACE and OPTIONS with the page (200), as no other page does."""
    response = getattr(client, method)(reverse("home"))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert client.head(reverse("home")).status_code == 200
