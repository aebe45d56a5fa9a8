"""The foundation tried as new users would, in Debian's chromium."""

import io
import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from lifecert.accounts.models import UnitBinding
from lifecert.demo.testing import (
    TEST_PASSWORD,
    make_entitlement,
    make_person,
    make_region,
    make_ssn,
    make_unit,
    make_user,
)
from lifecert.registry.imports import COLUMNS
from lifecert.registry.models import Person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TIMEOUT = 15_000


def _shot(page, screenshot_dir, name):
    if screenshot_dir is not None:
        page.screenshot(path=str(screenshot_dir / f"{name}.png"), full_page=True)


def test_pensioner_registers_logs_in_and_switches_region(
    live_server, launch_browser, screenshot_dir
):
    guangzhou, shenzhen = make_region("440100"), make_region("440300")
    person = make_person(name="黄秀兰")
    make_entitlement(person=person, region=guangzhou)
    make_entitlement(person=person, region=shenzhen)
    page = launch_browser().new_page(viewport={"width": 390, "height": 844})
    page.goto(live_server.url + "/")
    _shot(page, screenshot_dir, "home-phone")
    page.click("#entry-personal")
    page.click("text=个人注册")
    page.fill("#id_name", "黄秀兰")
    page.fill("#id_ssn", person.ssn)
    page.fill("#id_phone", "13800138111")
    page.fill("#id_password1", "Huang-2026-pass")
    page.fill("#id_password2", "Huang-2026-pass")
    page.click("main button[type=submit]")
    expect(page.locator(".msg-success")).to_contain_text("注册成功", timeout=TIMEOUT)
    page.click("text=退出登录")
    page.goto(live_server.url + "/accounts/personal/login/")
    page.fill("#id_username", person.ssn)
    page.fill("#id_password", "Huang-2026-pass")
    page.click("main button[type=submit]")
    region = page.locator("#current-region")
    expect(region).to_have_text("广州市", timeout=TIMEOUT)
    page.select_option("#region-switch select", "440300")
    expect(region).to_have_text("深圳市", timeout=TIMEOUT)


def test_unit_operator_binds_two_units_and_switches(
    live_server, launch_browser, screenshot_dir
):
    from lifecert.accounts.services import issue_authorization_code

    region = make_region("440100")
    first = make_unit(region=region, number="4401000011", name="广州第一机械厂")
    second = make_unit(region=region, number="4401000012", name="广州第二纺织厂")
    codes = {
        u.number: issue_authorization_code(unit=u, acting_user=None)
        for u in (first, second)
    }
    page = launch_browser().new_page()
    page.goto(live_server.url + "/accounts/unit/register/")
    page.fill("#id_username", "gz_operator")
    page.fill("#id_password1", "Unit-2026-pass")
    page.fill("#id_password2", "Unit-2026-pass")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text("授权码实名认证", timeout=TIMEOUT)
    operator_id = make_ssn(born="19800101")
    for number in (first.number, second.number):
        if number == second.number:
            page.click("#add-by-code")
        page.fill("#id_unit_number", number)
        page.fill("#id_code", codes[number])
        page.fill("#id_operator_name", "陈经办")
        page.fill("#id_operator_phone", "13712345678")
        page.fill("#id_operator_id_number", operator_id)
        page.click("main button[type=submit]")
        expect(page.locator(".msg-success")).to_contain_text(
            "绑定成功", timeout=TIMEOUT
        )
    _shot(page, screenshot_dir, "unit-binding-dialog")
    for choice in ("#edit-binding", "#add-by-code", "#add-by-old", "#direct-login"):
        expect(page.locator(choice)).to_be_visible()
    page.click("#direct-login")
    current = page.locator("#current-unit")
    expect(current).to_contain_text("4401000012", timeout=TIMEOUT)
    page.select_option("#unit-switch select", label="4401000011 广州第一机械厂")
    expect(current).to_contain_text("广州第一机械厂", timeout=TIMEOUT)
    assert UnitBinding.objects.filter(account__username="gz_operator").count() == 2


def test_staff_import_a_file_and_issue_a_code(
    live_server, launch_browser, screenshot_dir, tmp_path
):
    region = make_region("440100")
    unit = make_unit(region=region, number="4401000021", name="广州示例百货公司")
    make_user("staff", username="gz_staff", staff_region=region, is_staff=True)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    ssn = make_ssn()
    sheet.append(
        [
            ssn,
            "罗桂芳",
            "13800000002",
            "广州市海珠区",
            "440100",
            unit.number,
            "",
            "正常",
            2800,
            "2018-03-01",
        ]
    )
    path = tmp_path / "registry.xlsx"
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())

    page = launch_browser().new_page()
    page.goto(live_server.url + "/accounts/staff/login/")
    page.fill("#id_username", "gz_staff")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.click("text=导入参保数据")
    page.set_input_files("#id_file", str(path))
    page.click("text=上传并预览")
    # The preview says what would be written; nothing is, until the confirmation.
    expect(page.locator("#count-create")).to_have_text("1", timeout=TIMEOUT)
    expect(page.locator("#import-rows")).to_contain_text("罗桂芳")
    _shot(page, screenshot_dir, "staff-import-preview")
    assert not Person.objects.filter(ssn=ssn).exists()
    page.click("#confirm-import")
    expect(page.locator("main")).to_contain_text(
        "导入成功：共 1 行，新增 1 条养老待遇", timeout=TIMEOUT
    )
    assert Person.objects.filter(ssn=ssn, name="罗桂芳").exists()

    page.click("text=单位与授权码")
    page.click("text=单位获取授权码")
    page.click("#issue-code")
    code = page.locator("#auth-code")
    expect(code).to_have_text(
        re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$"), timeout=TIMEOUT
    )
    _shot(page, screenshot_dir, "staff-code-slip")
