"""Notices in a real browser: staff publish one with an attachment, the
portal shows it; every screen passes axe-core at phone and laptop size."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from lifecert.conftest import Personas
from lifecert.demo import testing
from lifecert.notices.models import Notice
from lifecert.pensioner.tests.browser import Shots

from .helpers import PDF, make_notice

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_publish_a_notice_and_the_portal_shows_it(
    live_server: Any,
    launch_browser: Any,
    personas: Personas,
    tmp_path: Path,
    settings: Any,
    screenshot_dir: Path | None,
) -> None:
    attachment = tmp_path / "认证安排.pdf"
    attachment.write_bytes(PDF)
    base = live_server.url
    page = launch_browser().new_page(accept_downloads=True)
    page.set_default_timeout(15000)
    refused: list[str] = []
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and refused.append(m.text),
    )
    shots = Shots(page, screenshot_dir, "notices-", axe=True)

    page.goto(f"{base}/accounts/staff/login/")
    page.fill("input[name=username]", personas.staff.username)
    page.fill("input[name=password]", testing.TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="门户公告").click()
    page.click("#notice-new")
    page.select_option("#id_category", "announcement")
    page.fill("#id_title", "2026年度养老待遇资格认证安排公示")
    page.fill(
        "#id_body",
        "## 办理时间\n\n- 全年可办\n- 请在**到期前**认证\n\n"
        "<script>alert('x')</script>[办事指南](https://hrss.gd.gov.cn/)",
    )
    page.set_input_files("#id_attachment", str(attachment))
    shots("manage-form")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".msg-success")).to_contain_text("已在门户显示")
    shots("manage-list")
    notice = Notice.objects.get()
    assert notice.region == personas.region

    page.goto(f"{base}/")
    column = page.locator("#notices-announcement")
    expect(column).to_contain_text("2026年度养老待遇资格认证安排公示")
    expect(page.locator("#notices-policy")).to_contain_text("暂无内容")
    shots("home")
    column.get_by_role("link", name="2026年度养老待遇资格认证安排公示").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "2026年度养老待遇资格认证安排公示"
    )
    expect(page.locator(".notice-body li")).to_have_count(2)
    expect(page.locator(".notice-body script")).to_have_count(0)
    shots("detail")
    with page.expect_download() as download:
        page.click("#notice-attachment")
    assert download.value.suggested_filename == "认证安排.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
    page.get_by_role("link", name="返回公示公告列表").click()
    expect(page.locator(".notice-list li")).to_have_count(1)
    shots("list")
    assert refused == []


def test_a_notice_with_a_wide_table_and_a_long_link_fits_a_phone(
    live_server: Any, launch_browser: Any, personas: Personas
) -> None:
    """Found at 375 px: a staff-written table of offices and a bare link made
    the whole notice page 853 px wide."""
    body = (
        "各经办机构窗口地址如下：\n\n"
        "| 地市 | 经办机构 | 地址 | 电话 | 办理时间 |\n|---|---|---|---|---|\n"
        "| 广州市 | 广州市社会保险基金管理中心 | 广州市越秀区演示路1号社保服务大厅二楼"
        " | 020-12333 | 周一至周五 9:00-17:00 |\n\n"
        "详见 https://hrss.gd.gov.cn/zwgk/xxgkml/content/"
        "post_1234567890123456789012345678901234567890.html\n"
    )
    notice = make_notice(
        personas.staff, title="窗口地址", body=body, region=personas.region
    )
    page = launch_browser().new_page(viewport={"width": 375, "height": 740})
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/notices/{notice.public_id}/")
    expect(page.locator(".notice-body table")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
