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

from .helpers import PDF

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
