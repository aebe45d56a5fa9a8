"""A form sent twice (a double click, Back and send again, a reload) acts once.

Each form page carries a random one-time value (``{% once_field %}``, the field
``once``). The view that handles the form claims that value (a ``SubmittedForm``
row, keyed by a hash of the form and the value) inside the
transaction that writes, and records where the first submit landed. A later
submit of the same page finds the row and lands on that page with
已提交过，请勿重复提交 — no second object, no error page.

Back to a form page that the browser fetches again (our pages are no-store)
brings a new value with the fields as typed: so, for most forms, the same
sender sending the same fields to the same address within
``SAME_CONTENT_WINDOW`` is a repeat as well.

Where a form has a natural key the services keep their own check (a second
窗口 certification of the same day refused under the entitlement's lock, an
import confirmed once through its ``PendingImport``); this is for the forms
that have none (a notice, an API token, a staff account…).

A second submit sent while the first is still running waits for it (PostgreSQL:
the primary key; SQLite: the write lock), then finds the row committed, or, if
the first was refused (a form error: its claim is deleted), claims it itself.
A request without the field (a script, an older page) is handled as before:
unprotected, never refused. Rows older than ``TIMEOUT`` are deleted after
each claim.
"""

import datetime
import hashlib
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone

from .models import SubmittedForm

FIELD = "once"
REPEATED = "已提交过，请勿重复提交。"
# As long as a form page may stay open and be sent again (Back a week later).
TIMEOUT = datetime.timedelta(days=7)
# The same fields sent again this soon are the same submit (see submit_once).
SAME_CONTENT_WINDOW = datetime.timedelta(minutes=10)
_VALUE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

Response = TypeVar("Response", bound=HttpResponse)


def new_value() -> str:
    """The value of one form page's ``once`` field."""
    return secrets.token_urlsafe(16)


def _key(purpose: str, value: str) -> str:
    # Not bound to the sender: a registration logs the sender in between two
    # submits. 128 random bits are not guessed.
    return hashlib.sha256(f"{purpose}\n{value}".encode()).hexdigest()


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


def _purge() -> None:
    SubmittedForm.objects.filter(created_at__lt=timezone.now() - TIMEOUT).delete()


def _content_key(request: HttpRequest, purpose: str) -> str:
    """The sender, the address and what the form says (files left out: Back
    empties a file field), for a page re-rendered with a new ``once``."""
    user = getattr(request, "user", None)
    owner = user.pk if user is not None and user.is_authenticated else "-"
    fields = sorted(
        (name, value)
        for name in request.POST
        if name not in (FIELD, "csrfmiddlewaretoken")
        for value in request.POST.getlist(name)
    )
    text = json.dumps([purpose, owner, request.path, fields], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _claim(key: str, window: datetime.timedelta) -> str | None:
    """``None``: claimed now; else where the claim's first submit landed. A
    claim older than ``window`` is taken over."""
    now = timezone.now()
    try:
        with transaction.atomic():
            SubmittedForm.objects.create(key=key, created_at=now)
        return None
    except IntegrityError:
        stale = SubmittedForm.objects.filter(key=key, created_at__lt=now - window)
        if stale.update(created_at=now, landing="") == 1:
            return None
        landing = (
            SubmittedForm.objects.filter(key=key)
            .values_list("landing", flat=True)
            .first()
        )
        return landing or "/"


@contextmanager
def submit_once(
    request: HttpRequest, purpose: str, *, same_content: bool = True
) -> Iterator[Submission]:
    """Claim this form page's ``once`` value for ``purpose`` around its writes.

    With ``same_content`` the same sender sending the same fields to the same
    address within ``SAME_CONTENT_WINDOW`` is a repeat too, whatever its
    ``once``: Back to a form page the browser fetches again (no-store) gives a
    new value but restores what was typed. Leave it off where sending the
    same thing again on purpose is normal (a code reissued).

    The body checks ``repeated`` (then answers with ``answer``), writes, and
    calls ``done`` on its success response. If it does not (a form error, a
    refusal), the claims are deleted, so the corrected form can be sent; if it
    raises, they are rolled back with the writes.
    """
    value = request.POST.get(FIELD, "")
    if not _VALUE.match(value):
        yield Submission(key=None)
        return
    claims = [(_key(purpose, value), TIMEOUT)]
    if same_content:
        claims.append((_content_key(request, purpose), SAME_CONTENT_WINDOW))
    keys: list[str] = []
    with transaction.atomic():
        for key, window in claims:
            landing = _claim(key, window)
            if landing is not None:
                # This page, sent again, lands where its content's first did.
                SubmittedForm.objects.filter(key__in=keys).update(landing=landing)
                yield Submission(key=key, repeated=True, landing=landing)
                return
            keys.append(key)
        submission = Submission(key=keys[0])
        try:
            yield submission
        finally:
            if submission.done_at:
                SubmittedForm.objects.filter(key__in=keys).update(
                    landing=submission.done_at[:500]
                )
                transaction.on_commit(_purge)
            else:
                # Only the claims go: what a refusal writes stays written
                # (a wrong password or code counts toward its lockout).
                SubmittedForm.objects.filter(key__in=keys).delete()
