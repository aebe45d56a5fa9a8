"""Staff pages at phone width (375 × 740) in a real browser: nothing makes the
page itself scroll sideways; a wide table scrolls inside its own wrapper.

Found by walking the demo at 375 px: the dashboard's charts kept a 520 px
column, the bound accounts of 单位获取授权码 and the tokens of 接口令牌
were tables with no wrapper, and a person's pensions squeezed the 记录认证
form off the screen."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from lifecert.api.services import issue_token
from lifecert.demo import testing
from lifecert.pensioner.tests.browser import axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
LAPTOP = {"width": 1366, "height": 768}


def test_staff_pages_fit_a_phone(live_server, launch_browser, personas):
    testing.make_staff_user(None, username="pat_province")
    issue_token(
        system_name="广州医保比对系统（待遇发放核对）",
        scopes=["read_status"],
        region=personas.region,
        acting_user=None,
    )
    page = launch_browser().new_page(viewport=PHONE)
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}{reverse('accounts:staff-login')}")
    page.fill("input[name=username]", "pat_province")
    page.fill("input[name=password]", testing.TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/backoffice/")
    pages = {
        "dashboard": reverse("backoffice:index"),
        "unit code": reverse("backoffice:unit-code", args=[personas.unit.public_id]),
        "api tokens": reverse("api-tokens:list"),
    }
    wide = {}
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").is_visible(), name
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[name] = width
    assert wide == {}
    # The tables are still whole: they scroll inside their wrapper.
    page.goto(f"{live_server.url}{pages['unit code']}")
    wrap = page.locator(".table-wrap:has(#unit-bindings)")
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page.locator("#unit-bindings").get_by_text("解除绑定").count() == 1
    # 窗口 / 上门认证 on a person: the form is on the screen, not off to the side
    # of its table (it was at 375 px: a one-character column, the button beyond).
    page.goto(
        f"{live_server.url}"
        f"{reverse('backoffice:person-detail', args=[personas.pensioner.public_id])}"
    )
    button = page.get_by_role("button", name="记录认证")
    box = button.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= PHONE["width"]
    wrap = page.locator(".table-wrap").filter(has=button)
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert button.evaluate("el => el.getBoundingClientRect().height < 60")


def test_the_menu_is_one_button_on_a_phone_and_every_link_on_a_laptop(
    live_server, launch_browser, personas
):
    """At 375 px the menu's 20 buttons filled the first screen and more (some
    600 px) above every staff page; now 菜单 opens them (no script)."""
    testing.make_staff_user(None, username="pat_menu")
    page = launch_browser().new_page(viewport={"width": 375, "height": 812})
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}{reverse('accounts:staff-login')}")
    page.fill("input[name=username]", "pat_menu")
    page.fill("input[name=password]", testing.TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/backoffice/")
    menu = page.locator("nav.subnav")
    links = menu.get_by_role("link")
    assert menu.evaluate("el => el.getBoundingClientRect().height") < 120
    expect(links).to_have_count(0)  # closed: none of them in the way
    assert not axe_violations(page)
    menu.get_by_text("菜单").click()
    expect(links.first).to_be_visible()
    names = links.all_inner_texts()
    assert names[0] == "工作台"
    assert "接口令牌" in names
    assert "经办人员账号" in names  # province staff
    for link in links.all():
        link.scroll_into_view_if_needed()
        expect(link).to_be_in_viewport()
        box = link.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 375
    assert not axe_violations(page)
    links.filter(has_text="接口令牌").click()
    page.wait_for_url(f"{live_server.url}{reverse('api-tokens:list')}")
    # A laptop: every link in view without a click, no 菜单.
    page.set_viewport_size(LAPTOP)
    expect(links).to_have_count(len(names))
    for link in links.all():
        expect(link).to_be_visible()
    expect(menu.get_by_text("菜单")).to_be_hidden()
