"""Django's own date and length messages, worded once for LifeCert
(lifecert/core/locale): they say what to type and the limit."""

import gettext
import re
from pathlib import Path

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from lifecert.conftest import Personas

CATALOGUE = Path(__file__).resolve().parents[1] / "locale/zh_Hans/LC_MESSAGES"


class _Form(forms.Form):
    day = forms.DateField(required=False)
    moment = forms.DateTimeField(required=False)
    at = forms.TimeField(required=False)
    name = forms.CharField(required=False, min_length=2, max_length=5)
    upload = forms.FileField(required=False, max_length=8)


def test_every_form_says_the_date_format_and_the_length_limit() -> None:
    form = _Form(
        {"day": "2026/13/45", "moment": "明天", "at": "25:61", "name": "赵钱孙李周吴"}
    )
    assert form.errors == {
        "day": ["请按“年-月-日”填写，例如 2026-12-03。"],
        "moment": ["请按“年-月-日 时:分”填写，例如 2026-12-03 09:30。"],
        "at": ["请按“时:分”填写，例如 09:30。"],
        "name": ["最多填写 5 个字符，现有 6 个，请删减后再提交。"],
    }
    assert _Form({"name": "赵"}).errors["name"] == [
        "至少填写 2 个字符，现有 1 个，请补全后再提交。"
    ]
    upload = SimpleUploadedFile("二〇二六年认证名单.xlsx", b"x")
    assert _Form({}, {"upload": upload}).errors["upload"] == [
        "文件名最多 8 个字符，现有 14 个，请改短文件名后重新上传。"
    ]


def test_the_compiled_catalogue_is_the_one_written() -> None:
    with (CATALOGUE / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]  # the parsed .mo
    compiled = set(catalogue.values())
    written = re.findall(
        r'^msgstr(?:\[0\])? "(.+)"$', (CATALOGUE / "django.po").read_text(), re.M
    )
    assert written
    assert set(written) <= compiled


@pytest.mark.django_db
def test_the_pages_show_them(client: Client, personas: Personas) -> None:
    client.force_login(personas.staff)
    listing = client.get(
        reverse("backoffice:certification-list"), {"date_from": "2026-02-30"}
    ).content.decode()
    assert "请按“年-月-日”填写，例如 2026-12-03。" in listing
    months = client.get(
        reverse("backoffice:entitlement-list"), {"certified": "2026年11月"}
    ).content.decode()
    assert "请按“年-月”填写，例如 2026-12。" in months
    notice = client.post(
        reverse("notices:create"),
        {"category": "news", "title": "长" * 121, "body": "正文", "region": "440100"},
    ).content.decode()
    assert "最多填写 120 个字符，现有 121 个" in notice
