"""发布公告 sent twice (double click, Back and send again) makes one notice."""

import datetime
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lifecert.conftest import Personas
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import make_staff_user, once_value
from lifecert.notices.models import Notice


def _fields(**extra: Any) -> dict[str, Any]:
    return {
        "category": "news",
        "title": "2026年度认证安排",
        "body": "请按时认证。",
        "region": "440100",
        "publish_at": timezone.localtime(
            timezone.now() - datetime.timedelta(minutes=5)
        ).strftime("%Y-%m-%dT%H:%M"),
        **extra,
    }


def test_a_second_submit_of_the_page_lands_on_the_list_and_adds_nothing(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.staff)
    once = once_value(client.get(reverse("notices:create")))
    # A refused submit spends nothing: the corrected page still saves.
    refused = client.post(reverse("notices:create"), _fields(once=once, title=""))
    assert refused.status_code == 200
    first = client.post(reverse("notices:create"), _fields(once=once))
    assert first.status_code == 302
    again = client.post(reverse("notices:create"), _fields(once=once), follow=True)
    assert again.redirect_chain == [(reverse("notices:manage"), 302)]
    assert "已提交过，请勿重复提交" in again.content.decode()
    assert Notice.objects.count() == 1
    assert AuditEvent.objects.filter(action="notice.publish").count() == 1
    # A new page is a new notice.
    once = once_value(client.get(reverse("notices:create")))
    client.post(reverse("notices:create"), _fields(once=once, title="第二条"))
    assert Notice.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_submits_at_the_same_moment_make_one_notice() -> None:
    from lifecert.demo.testing import make_region

    staff = make_staff_user(make_region("440100"), username="gz_notice")
    page = Client()
    page.force_login(staff)
    once = once_value(page.get(reverse("notices:create")))
    start = threading.Barrier(2)
    answers: list[int] = []

    def send() -> None:
        try:
            browser = Client()
            browser.force_login(staff)
            start.wait()
            answer = browser.post(reverse("notices:create"), _fields(once=once))
            answers.append(answer.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302, 302]
    assert Notice.objects.count() == 1


def test_back_to_the_form_and_save_again_makes_no_second_notice(
    client: Client, personas: Personas
) -> None:
    """Found on the walk (chromium, Back): the form page is no-store, so Back
    fetches it again with a new once value and the fields as typed."""
    client.force_login(personas.staff)
    first = once_value(client.get(reverse("notices:create")))
    client.post(reverse("notices:create"), _fields(once=first))
    again = once_value(client.get(reverse("notices:create")))
    response = client.post(reverse("notices:create"), _fields(once=again), follow=True)
    assert response.redirect_chain == [(reverse("notices:manage"), 302)]
    assert "已提交过，请勿重复提交" in response.content.decode()
    assert Notice.objects.count() == 1
