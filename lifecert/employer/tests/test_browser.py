"""The whole employer flow in a real browser, as a new operator would walk it."""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from lifecert.core import testing

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
    page.get_by_role("link", name="下一页").click()
    expect(page.locator(".pager-summary")).to_have_text(
        "显示第 11 到第 15 条记录，总共 15 条记录"
    )
    saved_names = page.locator("#pending td.name").all_inner_texts()
    assert len(saved_names) == 5
    page.check("#select-page")
    expect(page.locator(".row-select:checked")).to_have_count(5)
    page.get_by_role("button", name="保存").click()
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
