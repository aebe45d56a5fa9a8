import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_portal_home_shows_both_entries(live_server, launch_browser):
    page = launch_browser().new_page()
    page.goto(live_server.url + "/")
    assert page.locator("#entry-personal").inner_text().startswith("个人服务")
    assert page.locator("#entry-unit").inner_text().startswith("单位服务")
