"""Who is being certified in this browser session, and what they may see.

Two ways in, as in the guide:

* 养老待遇资格认证登记 (certification login): registered name + social security
  number, no account needed, so a family member can open it for a parent. The
  person is kept in the Django session under ``SESSION_PERSON``.
* A logged-in personal account goes straight in as its own person, or as a
  family member it helps (``FamilyLink``), or as the family member it is adding
  right now (``SESSION_FAMILY_PENDING``, cleared once the face check passed).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse

from lifecert.accounts.access import SESSION_REGION, parse_uuid
from lifecert.accounts.models import FamilyLink, User
from lifecert.certification.models import Certification, FaceSession
from lifecert.core.middleware import CERT_SESSION_KEY
from lifecert.core.redirects import login_redirect
from lifecert.registry.models import Entitlement, Person, Region

SESSION_PERSON = CERT_SESSION_KEY
SESSION_FAMILY_PENDING = "family_pending"


def _personal_account(request: HttpRequest) -> User | None:
    user = request.user
    if user.is_authenticated and user.kind == User.Kind.PERSONAL:
        return user
    return None


def family_person_ids(account: User) -> set[int]:
    return set(
        FamilyLink.objects.filter(account=account).values_list("person_id", flat=True)
    )


def certifying_person(request: HttpRequest) -> Person | None:
    """The person this browser session is certifying, or ``None``."""
    chosen = request.session.get(SESSION_PERSON)
    account = _personal_account(request)
    if account is not None:
        if (
            chosen
            and account.person is not None
            and chosen != str(account.person.public_id)
        ):
            allowed = Person.objects.filter(public_id=chosen).filter(
                pk__in=FamilyLink.objects.filter(account=account).values("person_id")
            )
            if chosen == request.session.get(SESSION_FAMILY_PENDING):
                allowed = Person.objects.filter(public_id=chosen)
            person = allowed.first()
            if person is not None:
                return person
        return account.person
    if chosen:
        return Person.objects.filter(public_id=chosen).first()
    return None


class CertifyingRequest(HttpRequest):
    """A request past ``certifying_person_required``: ``cert_person`` is the
    person being certified. For annotations only: Django passes a plain
    ``HttpRequest``, which the decorator gives the attribute."""

    cert_person: Person


def certifying_person_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Views for a certifying person; others go to the certification login.

    The view may annotate its ``request`` as ``CertifyingRequest``.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        person = certifying_person(request)
        if person is None:
            return login_redirect(request, reverse("pensioner:cert-login"))
        certifying = cast(CertifyingRequest, request)
        certifying.cert_person = person  # for this request only
        return view(certifying, *args, **kwargs)

    return wrapper


def person_regions(person: Person) -> list[Region]:
    return list(
        Region.objects.filter(entitlement__person=person).order_by("code").distinct()
    )


def person_entitlement(request: HttpRequest, person: Person) -> Entitlement | None:
    """The entitlement in the chosen region (用户切换), else the first one."""
    entitlements = list(
        Entitlement.objects.select_related("region", "unit")
        .filter(person=person)
        .order_by("region__code")
    )
    chosen = request.session.get(SESSION_REGION)
    for entitlement in entitlements:
        if entitlement.region.code == chosen:
            return entitlement
    return entitlements[0] if entitlements else None


def access_face_session(
    request: HttpRequest, person: Person, public_id: Any
) -> FaceSession:
    """The person's own face session; 404 for anyone else's or a bad UUID."""
    session = get_object_or_404(
        FaceSession.objects.select_related("region"),
        public_id=parse_uuid(public_id),
        person=person,
    )
    session.person = person  # already loaded: spare a query on every frame
    return session


def certifying_face_session(request: HttpRequest, public_id: Any) -> FaceSession | None:
    """The face session ``public_id`` of the person this browser session is
    certifying (:func:`certifying_person`); None when nobody is, 404 for a
    session of anyone else or a bad UUID.

    The camera posts here several times a second: on the certification login
    (no personal account) the person is known by public id alone, so the
    session and its person come in one query instead of two (0.86 ms of
    CPU against 1.43 ms, docs/benchmarks.md).
    """
    chosen = request.session.get(SESSION_PERSON)
    if not chosen or _personal_account(request) is not None:
        person = certifying_person(request)
        if person is None:
            return None
        return access_face_session(request, person, public_id)
    try:
        # get(), not first(): no ORDER BY to build for a unique key.
        return FaceSession.objects.select_related("person").get(
            public_id=parse_uuid(public_id), person__public_id=chosen
        )
    except FaceSession.DoesNotExist:
        if certifying_person(request) is None:
            return None
        raise Http404("未找到该人脸认证。") from None


def access_certification(person: Person, public_id: Any) -> Certification:
    certification = (
        Certification.objects.select_related("person", "region")
        .filter(public_id=parse_uuid(public_id), person=person)
        .first()
    )
    if certification is None:
        raise Http404("未找到该认证记录。")
    return certification
