"""Staff pages at phone width (375 × 740) in a real browser: nothing makes the
page itself scroll sideways; a wide table scrolls inside its own wrapper.

Found by walking the demo at 375 px: the dashboard's charts kept a 520 px
column, the bound accounts of 单位获取授权码 and the tokens of 接口令牌
were tables with no wrapper, and a person's pensions squeezed the 记录认证
form off the screen."""

import pytest
from django.urls import reverse

from lifecert.api.services import issue_token
from lifecert.demo import testing

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}


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
