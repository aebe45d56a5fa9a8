"""Going through the real development provider as a browser would."""

import re
from urllib.parse import urljoin, urlsplit

import requests
from django.test import Client
from django.urls import reverse

DEMO_PASSWORD = "Demo-2026-lifecert"


def provider_login(
    provider_browser: requests.Session,
    authorize_url: str,
    username: str,
    password: str = DEMO_PASSWORD,
) -> str:
    """Follow the provider from ``authorize_url`` (logging in when it asks)
    to the redirect back to LifeCert; returns that URL (our callback)."""
    url = authorize_url
    for _ in range(10):
        if not url.startswith("http://127.0.0.1"):
            return url  # back at LifeCert (http://testserver/…)
        response = provider_browser.get(url, allow_redirects=False, timeout=30)
        if response.status_code in (301, 302, 303):
            url = urljoin(url, response.headers["Location"])
            continue
        assert response.status_code == 200, response.text[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
        assert token, "the provider's login page"
        nxt = re.search(r'name="next" value="([^"]*)"', response.text)
        posted = provider_browser.post(
            url.split("?")[0],
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": username,
                "password": password,
                "next": nxt.group(1).replace("&amp;", "&") if nxt else "",
            },
            headers={"Referer": url},
            allow_redirects=False,
            timeout=30,
        )
        assert posted.status_code == 302, "the provider refused the password"
        url = urljoin(url, posted.headers["Location"])
    raise AssertionError("the provider never sent the browser back")


def sso_login(
    client: Client,
    kind: str,
    username: str,
    provider_browser: requests.Session | None = None,
) -> tuple[object, requests.Session]:
    """The 统一身份认证 button on ``kind``'s login page, the provider, and the
    callback; returns LifeCert's answer to the callback and the provider browser."""
    browser = provider_browser or requests.Session()
    start = client.get(reverse("accounts:oidc-start", args=[kind]))
    assert start.status_code == 302
    back = provider_login(browser, start["Location"], username)
    parts = urlsplit(back)
    return client.get(f"{parts.path}?{parts.query}"), browser
