import datetime
import zoneinfo

import pytest
from django.urls import reverse

from lifecert.demo import testing

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

HISTORY = reverse("pensioner:history")


def _certify_years(entitlement, years):
    for n in range(years):
        testing.make_certification(
            entitlement,
            certified_at=datetime.datetime(2010 + n, 4, 1, 9, 0, tzinfo=SHANGHAI),
        )


def test_history_pages_ten_rows_with_the_guides_text(
    client, personas, django_assert_max_num_queries
):
    _certify_years(personas.entitlement, 12)
    client.force_login(personas.pensioner_user)
    with django_assert_max_num_queries(12):
        page = client.get(HISTORY).content.decode()
    assert "养老退休认证信息查询结果" in page
    assert "显示第 1 到第 10 条记录，总共 12 条记录" in page
    assert "每页显示 10 条记录" in page
    assert page.count("4306**********203X") == 10
    assert "2021-04-01 09:00:00" in page  # newest first
    assert "窗口" in page
    second = client.get(HISTORY + "?page=2").content.decode()
    assert "显示第 11 到第 12 条记录，总共 12 条记录" in second
    assert "2010-04-01 09:00:00" in second


def test_history_shows_only_the_certifying_persons_records(client, personas):
    stranger = testing.make_entitlement()
    _certify_years(stranger, 2)
    client.force_login(personas.pensioner_user)
    page = client.get(HISTORY).content.decode()
    assert "总共 0 条记录" in page


def test_history_for_anonymous_needs_the_certification_login(client):
    assert client.get(HISTORY).status_code == 302
