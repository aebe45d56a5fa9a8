"""lifecert.core.once: a form page's one-time value, claimed with the writes."""

import datetime

import pytest
import time_machine
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import HttpResponse, HttpResponseRedirect
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from lifecert.core import once
from lifecert.core.models import SubmittedForm

pytestmark = pytest.mark.django_db


def _post(value: str) -> object:
    request = RequestFactory().post("/x/", {once.FIELD: value} if value else {})
    request.session = {}  # type: ignore[attr-defined]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def test_the_tag_renders_a_fresh_value_each_time() -> None:
    html = Template("{% load lifecert %}{% once_field %}{% once_field %}").render(
        Context()
    )
    values = [part.split('"')[0] for part in html.split('value="')[1:]]
    assert len(values) == 2
    assert values[0] != values[1]
    assert html.count('name="once"') == 2


def test_a_request_without_a_value_or_with_an_odd_one_is_not_claimed() -> None:
    for value in ("", "short", "x" * 65, "<script>alert(1)</script>xxxxxxxx"):
        with once.submit_once(_post(value), "t") as submit:
            assert not submit.repeated
            submit.done(HttpResponseRedirect("/done/"))
    assert not SubmittedForm.objects.exists()


def test_the_second_claim_is_repeated_and_lands_where_the_first_did(
    django_capture_on_commit_callbacks,
) -> None:
    value = once.new_value()
    old = SubmittedForm.objects.create(
        key="old", created_at=timezone.now() - once.TIMEOUT - datetime.timedelta(1)
    )
    with (
        django_capture_on_commit_callbacks(execute=True),
        once.submit_once(_post(value), "t") as submit,
    ):
        assert not submit.repeated
        submit.done(HttpResponse("secret"), landing="/list/")
    assert not SubmittedForm.objects.filter(pk=old.pk).exists()  # purged
    request = _post(value)
    with once.submit_once(request, "t") as submit:
        assert submit.repeated
        answer = submit.answer(request, "见列表。")
    assert answer.url == "/list/"
    assert [str(m) for m in request._messages] == [once.REPEATED + "见列表。"]
    # The same value for another form is another claim.
    with once.submit_once(_post(value), "other") as submit:
        assert not submit.repeated


def test_a_refused_or_failed_submit_leaves_the_value_unclaimed() -> None:
    value = once.new_value()
    with once.submit_once(_post(value), "t") as submit:
        assert not submit.repeated  # a form error: no done()
        # ... whose own writes (a wrong code counted) stay.
        SubmittedForm.objects.create(key="counted", created_at=timezone.now())
    assert SubmittedForm.objects.get().key == "counted"
    SubmittedForm.objects.all().delete()
    with pytest.raises(RuntimeError), once.submit_once(_post(value), "t"):
        raise RuntimeError
    assert not SubmittedForm.objects.exists()
    with once.submit_once(_post(value), "t") as submit:
        assert not submit.repeated
        submit.done(HttpResponse("ok"))
    assert set(SubmittedForm.objects.values_list("landing", flat=True)) == {"/"}


def _page(value: str, path: str = "/x/", **fields: str) -> object:
    request = RequestFactory().post(path, {once.FIELD: value, **fields})
    request.session = {}  # type: ignore[attr-defined]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def _sent(request: object, purpose: str = "t", **kwargs: bool) -> bool:
    """Whether the submit was a repeat; a first one is done."""
    with once.submit_once(request, purpose, **kwargs) as submit:  # type: ignore[arg-type]
        if not submit.repeated:
            submit.done(HttpResponseRedirect("/first/"))
        return submit.repeated


def test_the_same_fields_again_soon_are_a_repeat_whatever_the_value() -> None:
    """Back to a form page fetched again: a new value, the fields as typed."""
    assert not _sent(_page(once.new_value(), title="通知"))
    request = _page(once.new_value(), title="通知")
    with once.submit_once(request, "t") as submit:  # type: ignore[arg-type]
        assert submit.repeated
        assert submit.answer(request).url == "/first/"  # type: ignore[arg-type]
    # Other fields, another address, another form: not a repeat.
    assert not _sent(_page(once.new_value(), title="另一条"))
    assert not _sent(_page(once.new_value(), "/y/", title="通知"))
    assert not _sent(_page(once.new_value(), title="通知"), "u")
    # Where the same again is normal, only the page's own value counts.
    assert not _sent(_page(once.new_value(), title="通知"), same_content=False)
    # Later than the window, the same fields are a new submit.
    later = timezone.now() + once.SAME_CONTENT_WINDOW + datetime.timedelta(1)
    with time_machine.travel(later):
        assert not _sent(_page(once.new_value(), title="通知"))
