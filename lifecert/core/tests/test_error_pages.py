"""Error pages speak Chinese and show the way back (DEBUG off, as in production)."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_unknown_address_gets_the_chinese_404_with_the_way_back(client):
    response = client.get("/personal/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page
    assert f'href="{reverse("pensioner:cert-login")}"' in page
    assert 'href="/"' in page
    assert "Not Found" not in page


def test_wrong_role_gets_the_chinese_403(client, personas):
    client.force_login(personas.unit_user)
    response = client.get(reverse("pensioner:family"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "没有权限查看此页面" in page
    assert "12333" in page


def test_a_stale_form_gets_the_chinese_csrf_page_back_to_the_form():
    client = Client(enforce_csrf_checks=True)
    login = reverse("pensioner:cert-login")
    response = client.post(login, {"name": "杨书维", "ssn": "43060319920301203X"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "页面已过期，请重新提交" in page
    assert f'href="{login}" id="csrf-back"' in page
    assert "CSRF" not in page


def test_server_error_page_is_chinese_and_needs_no_context():
    from django.template import loader

    page = loader.get_template("500.html").render()
    assert "系统繁忙，请稍后再试" in page
    assert 'href="/personal/certify/login/"' in page
    assert "12333" in page


def test_a_form_address_opened_in_the_address_bar_says_what_to_do(client, personas):
    """GET on a POST-only address was an empty 405 page."""
    client.force_login(personas.staff)
    response = client.get(reverse("accounts:logout"))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = response.content.decode()
    assert "此地址不能直接打开" in page
    assert "请回到上一个页面，重新点击按钮办理" in page
    assert 'href="/"' in page


# ------------------------------------------------ answers from outside the views


def test_a_forged_host_gets_the_chinese_400_with_every_security_header(client):
    """A Host header outside ALLOWED_HOSTS is refused in CommonMiddleware, before
    the header middleware used to run: Django's English page came back without
    CSP, X-Frame-Options or Permissions-Policy."""
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    page = response.content.decode()
    assert "请求无法办理" in page
    assert "Bad Request" not in page
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=(self)" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_malformed_upload_gets_the_chinese_400():
    """A multipart body without a boundary: Django's parser refuses it (400)."""
    client = Client()
    response = client.generic(
        "POST",
        reverse("pensioner:cert-login"),
        b"abc",
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "请求无法办理" in response.content.decode()


def test_the_413_before_any_view_carries_every_security_header(client):
    response = client.generic(
        "POST",
        reverse("accounts:personal-login"),
        b"x",
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT="text/html",
        CONTENT_LENGTH=str(40 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=(self)" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
