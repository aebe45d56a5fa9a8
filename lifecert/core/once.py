"""A form sent twice (a double click, Back and send again, a reload) acts once.

Each form page carries a random one-time value (``{% once_field %}``, the field
``once``). The view that handles the form claims that value in the shared cache
(``cache.add``: the first claim wins) inside the transaction that writes, and
records where the first submit landed. A later submit of the same page finds
the claim and lands on that page with 已提交过，请勿重复提交 — no second object,
no error page.

Where a form has a natural key the services keep their own check (a second
窗口 certification of the same day refused under the entitlement's lock, an
import confirmed once through its ``PendingImport``); this is for the forms
that have none (a notice, an API token, a staff account…).

The cache is the database table of ``settings.CACHES``: the claim is written in
the same transaction as the objects. A second submit sent while the first is
still running waits for it (PostgreSQL: the unique key; SQLite: the write
lock), then finds the claim committed, or, if the first was refused (a form
error), claims it itself. A request without the field (a script, an older
page) is handled as before: unprotected, never refused.
"""

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

FIELD = "once"
REPEATED = "已提交过，请勿重复提交。"
# As long as a form page may stay open and be sent again (Back a week later).
TIMEOUT = 7 * 24 * 3600
_VALUE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_PENDING = ""

Response = TypeVar("Response", bound=HttpResponse)


def new_value() -> str:
    """The value of one form page's ``once`` field."""
    return secrets.token_urlsafe(16)


def _key(request: HttpRequest, purpose: str, value: str) -> str:
    user = getattr(request, "user", None)
    owner = user.pk if user is not None and user.is_authenticated else "-"
    return f"lifecert.once:{purpose}:{owner}:{value}"


@dataclass
class Submission:
    """One submit of a form page: first (``repeated`` False) or again."""

    key: str | None
    repeated: bool = False
    landing: str = ""
    done_at: str = ""

    def done(self, response: Response, *, landing: str = "") -> Response:
        """Mark the submit done; a repeat will land on ``landing``.

        ``landing`` defaults to where ``response`` redirects; give it when the
        response is a page that must not be shown twice (a secret).
        """
        target = landing or (
            response.url if isinstance(response, HttpResponseRedirect) else ""
        )
        self.done_at = target or "/"
        return response

    def answer(self, request: HttpRequest, advice: str = "") -> HttpResponseRedirect:
        """The answer to a repeated submit: the first one's page, and why."""
        messages.info(request, REPEATED + advice)
        return HttpResponseRedirect(self.landing or "/")


@contextmanager
def submit_once(
    request: HttpRequest, purpose: str, *, fallback: str = "/"
) -> Iterator[Submission]:
    """Claim this form page's ``once`` value for ``purpose`` around its writes.

    The body checks ``repeated`` (then answers with ``answer``), writes, and
    calls ``done`` on its success response. If it does not (a form error, a
    refusal) or raises, the claim is dropped with its writes, so the corrected
    form can be sent. ``fallback``: where a repeat lands when the first left
    no landing (a cache that does not share the transaction).
    """
    value = request.POST.get(FIELD, "")
    if not _VALUE.match(value):
        yield Submission(key=None)
        return
    key = _key(request, purpose, value)
    with transaction.atomic():
        if not cache.add(key, _PENDING, TIMEOUT):
            yield Submission(key=key, repeated=True, landing=cache.get(key) or fallback)
            return
        submission = Submission(key=key)
        try:
            yield submission
        finally:
            if submission.done_at:
                cache.set(key, submission.done_at, TIMEOUT)
            else:
                transaction.set_rollback(True)
    if not submission.done_at:
        # A cache outside this database keeps its claim through the rollback.
        cache.delete(key)
