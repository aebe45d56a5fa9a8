"""Every password rule speaks Chinese; 忘记密码 says what to do."""

import re

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.urls import reverse

pytestmark = pytest.mark.django_db

LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Ab1!", "密码太短，至少需要 8 个字符。"),
        ("password", "这个密码太常见，容易被猜到，请换一个。"),
        ("73916482", "密码不能全是数字，请加入字母或符号。"),
    ],
)
def test_each_rule_refuses_in_chinese(password, expected):
    with pytest.raises(ValidationError) as refused:
        password_validation.validate_password(password)
    assert expected in refused.value.messages
    assert not any(LATIN_WORD.search(m) for m in refused.value.messages)


def test_rule_help_texts_are_chinese():
    texts = password_validation.password_validators_help_texts()
    assert texts
    assert not any(LATIN_WORD.search(t) for t in texts)


def test_register_form_shows_the_short_password_rule_in_chinese(client, personas):
    response = client.post(
        reverse("accounts:personal-register"),
        {
            "name": "杨书维",
            "ssn": "43060319920301203X",
            "phone": "13800138000",
            "password1": "Ab1!",
            "password2": "Ab1!",
        },
    )
    page = response.content.decode()
    assert "密码太短，至少需要 8 个字符。" in page
    assert "too short" not in page


def test_forgot_password_says_what_to_do(client, personas):
    response = client.get(reverse("accounts:password-forgot"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "不需要密码" in page
    assert f'href="{reverse("pensioner:cert-login")}"' in page
    assert "到参保地社保经办机构窗口" in page
    assert "广州市社会保险基金管理中心" in page
    assert "12333" in page


@pytest.mark.parametrize(
    "url",
    ["accounts:personal-login", "accounts:unit-login", "accounts:personal-register"],
)
def test_login_and_register_pages_link_to_forgot_password(client, url):
    page = client.get(reverse(url)).content.decode()
    assert f'href="{reverse("accounts:password-forgot")}" id="forgot-link"' in page


def test_already_registered_error_points_to_a_page_that_exists(client, personas):
    response = client.post(
        reverse("accounts:personal-register"),
        {
            "name": "杨书维",
            "ssn": "43060319920301203X",
            "phone": "13800138000",
            "password1": "Lifecert-new-2026",
            "password2": "Lifecert-new-2026",
        },
    )
    page = response.content.decode()
    assert "已注册" in page
    assert "找回密码" not in page
    assert 'id="forgot-link"' in page
