"""The browsable schema works in a real browser under the content security policy."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_every_operation_without_a_csp_violation(
    live_server, launch_browser
):
    page = launch_browser().new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(live_server.url + "/api/v1/docs/")
    page.wait_for_selector(".opblock", timeout=15_000)
    assert page.locator(".opblock").count() == 7
    assert "LifeCert 系统接口" in page.locator(".title").first.inner_text()
    assert not [m for m in console if "Content Security Policy" in m], console
