"""The whole employer flow in a real browser, as a new operator would walk it."""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from lifecert.certification.models import Certification, Channel
from lifecert.demo import testing

from .conftest import accept

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def read_xlsx(download):
    # Playwright saves downloads without an extension; openpyxl wants a file object.
    with open(download.path(), "rb") as handle:
        return load_workbook(handle).active


def test_operator_bulk_certifies_and_exports(live_server, launch_browser, personas):
    for index in range(15):
        person = testing.make_person(name=f"陈{index:02d}")
        testing.make_entitlement(
            person=person, region=personas.region, unit=personas.unit
        )
    page = launch_browser().new_page(accept_downloads=True)
    page.set_default_timeout(15000)
    # Under the Content Security Policy nothing is refused, and no request
    # carries an ID number in its URL (access logs).
    refused, requested = [], []
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and refused.append(m.text),
    )
    page.on("request", lambda request: requested.append(request.url))

    page.goto(f"{live_server.url}/accounts/unit/login/")
    page.fill("input[name=username]", personas.unit_user.username)
    page.fill("input[name=password]", testing.TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.click("#direct-login")
    page.click("#menu-certify")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "养老待遇资格认证登记(本地养老本地领取)"
    )

    page.get_by_text("点击查看办事指南").click()
    expect(page.locator("#guide-conditions")).to_contain_text("办理条件")
    expect(page.locator("#guide-materials")).to_contain_text("所需材料")
    with page.expect_download() as form_download:
        page.click("#guide-form")
    form = read_xlsx(form_download.value)
    assert form["A1"].value == "企业职工领取养老保险待遇资格认证申请表"
    page.go_back()

    page.get_by_role("link", name="办结").click()
    expect(page.locator("#letter-title")).to_have_text(
        "网上办理企业养老保险资格认证业务承诺书"
    )
    page.get_by_role("button", name="我已阅读并同意").click()
    expect(page.locator(".pager-summary")).to_have_text(
        "显示第 1 到第 10 条记录，总共 16 条记录"
    )

    page.fill("#search-name", "陈")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".pager-summary")).to_have_text(
        "显示第 1 到第 10 条记录，总共 15 条记录"
    )
    page.get_by_role("button", name="下一页").click()
    expect(page.locator(".pager-summary")).to_have_text(
        "显示第 11 到第 15 条记录，总共 15 条记录"
    )
    saved_names = page.locator("#pending td.name").all_inner_texts()
    assert len(saved_names) == 5
    page.check("#select-page")
    expect(page.locator(".row-select:checked")).to_have_count(5)
    expect(page.locator("#selected-count")).to_have_text("5")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确认认证名单")
    listed = page.locator("#confirm-list tbody td:nth-child(2)").all_inner_texts()
    assert sorted(listed) == sorted(saved_names)
    page.get_by_role("button", name="确认认证（5 人）").click()
    expect(page.locator(".msg-success")).to_have_text("认证成功，共 5 人。")

    expect(page.locator(".pager-summary")).to_have_text(
        "显示第 1 到第 10 条记录，总共 10 条记录"
    )
    remaining = page.locator("#pending td.name").all_inner_texts()
    assert not set(saved_names) & set(remaining)

    saved = personas.unit.entitlements.get(person__name=saved_names[0])
    page.goto(f"{live_server.url}/unit/")
    page.click("#menu-query")
    page.fill("#query-ssn", saved.person.ssn)
    page.get_by_role("button", name="查询").click()
    result = page.locator("#query-result tbody tr")
    expect(result).to_have_count(1)
    expect(result).to_contain_text(saved_names[0])
    expect(result).to_contain_text("单位代认证")
    expect(result).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"))

    page.goto(f"{live_server.url}/unit/certify/list/")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = read_xlsx(download.value)
    assert [c.value for c in sheet[1]] == [
        "姓名",
        "证件号码",
        "联系电话",
        "居住地址",
        "上次认证时间",
        "审核结果",
    ]
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(names) == 11
    assert not set(saved_names) & set(names)
    assert "杨书维" in names
    assert refused == []
    assert not [url for url in requested if saved.person.ssn in url.upper()]


def _log_in_to_the_list(page, live_server, personas):
    accept(personas.unit_user, personas.unit)
    page.goto(f"{live_server.url}/accounts/unit/login/")
    page.fill("input[name=username]", personas.unit_user.username)
    page.fill("input[name=password]", testing.TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.click("#direct-login")
    page.goto(f"{live_server.url}/unit/certify/list/")


def unit_certified():
    return list(
        Certification.objects.filter(channel=Channel.UNIT).values_list(
            "person__name", flat=True
        )
    )


def test_back_and_resubmit_certifies_nobody_else(live_server, launch_browser, personas):
    """Tick row 2, 保存, 确认; Back, Back, 保存 again: nobody new is certified.

    The list that comes back is up to date (row 2 is someone else now): the
    browser must not restore the tick by position, and neither the used
    confirmation nor the restored form may certify anyone.
    """
    for index in range(12):
        person = testing.make_person(name=f"周{index:02d}")
        testing.make_entitlement(
            person=person, region=personas.region, unit=personas.unit
        )
    page = launch_browser().new_page()
    page.set_default_timeout(15000)
    _log_in_to_the_list(page, live_server, personas)

    names = page.locator("#pending td.name").all_inner_texts()
    page.locator(".row-select").nth(1).check()
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#confirm-list tbody tr")).to_have_count(1)
    expect(page.locator("#confirm-list")).to_contain_text(names[1])
    page.get_by_role("button", name="确认认证（1 人）").click()
    expect(page.locator(".msg-success")).to_have_text("认证成功，共 1 人。")
    assert unit_certified() == [names[1]]

    page.go_back()  # the confirmation, from the cache or shown again
    confirm = page.locator("#confirm")
    if confirm.count():
        confirm.click()
        expect(page.locator(".msg-error")).to_contain_text("本次提交没有认证任何人员")
        page.go_back()
    else:
        expect(page.locator("#nothing-to-confirm")).to_be_visible()
    page.go_back()  # the list as it was before the save
    expect(page.locator("#pending")).to_be_visible()
    # Fetched again, the list has moved up and nothing is ticked; kept whole in
    # the back-forward cache, it is the old page and its tick is still names[1].
    ticked = page.locator("#pending tr:has(.row-select:checked) td.name")
    still_ticked = ticked.all_inner_texts()
    assert set(still_ticked) <= {names[1]}
    page.get_by_role("button", name="保存").click()
    if still_ticked:
        expect(page.locator("#nothing-to-confirm")).to_be_visible()
        expect(page.locator("#skipped-certified")).to_contain_text(names[1])
    else:
        expect(page.locator(".msg-error")).to_have_text(
            "请先勾选需要做资格认证的员工。"
        )
    assert unit_certified() == [names[1]]


def test_ticks_survive_paging_and_the_confirmation_lists_them(
    live_server, launch_browser, personas
):
    for index in range(14):
        person = testing.make_person(name=f"吴{index:02d}")
        testing.make_entitlement(
            person=person, region=personas.region, unit=personas.unit
        )
    page = launch_browser().new_page()
    page.set_default_timeout(15000)
    _log_in_to_the_list(page, live_server, personas)

    first = page.locator("#pending td.name").nth(0).inner_text()
    page.locator(".row-select").nth(0).check()
    expect(page.locator("#selected-count")).to_have_text("1")
    page.get_by_role("button", name="下一页").click()
    expect(page.locator("#selected-count")).to_have_text("1")
    second = page.locator("#pending td.name").nth(2).inner_text()
    page.locator(".row-select").nth(2).check()
    expect(page.locator("#selected-count")).to_have_text("2")
    page.get_by_role("button", name="上一页").click()
    expect(page.locator(".row-select").nth(0)).to_be_checked()
    page.get_by_role("button", name="保存").click()
    listed = page.locator("#confirm-list tbody td:nth-child(2)").all_inner_texts()
    assert sorted(listed) == sorted([first, second])
    page.get_by_role("button", name="确认认证（2 人）").click()
    expect(page.locator(".msg-success")).to_have_text("认证成功，共 2 人。")
    assert sorted(unit_certified()) == sorted([first, second])


def test_lists_are_readable_at_phone_width(live_server, launch_browser, personas):
    """390 px: the page does not scroll sideways; the table does, names stay."""
    page = launch_browser().new_page(viewport={"width": 390, "height": 844})
    page.set_default_timeout(15000)
    _log_in_to_the_list(page, live_server, personas)
    for path in ("/unit/certify/list/", "/unit/roster/"):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
        wrap = page.locator(".table-wrap").first
        wrap.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
        assert wrap.evaluate("el => el.scrollLeft") > 0, path  # it does scroll
        name = page.locator("td.name").first.bounding_box()
        assert 0 <= name["x"] < 200, (path, name)
