"""What counts as an attempt of face certification, and how many may run at once.

Every started session that does not pass is a failed try once a face was seen
in it (``_failed_try``, the one rule); per person and local day at most
``FACE_MAX_FAILURES_PER_DAY`` of them and ``FACE_MAX_STARTS_PER_DAY`` starts,
counted in the database so that every worker sees the same numbers. A start is
turned away, counting as nothing, while ``FACE_MAX_ACTIVE_SESSIONS`` sessions of
others are under way (``room_full``), or ``FACE_MAX_ACTIVE_PER_ADDRESS`` of them
started from the caller's address (``address_full``); both count the same
sessions (``under_way``). The session room (``face_sessions``) applies these
rules: the caps under the room's lock (``lock_room``), so that starts at the
same moment count each other, the daily ones under its lock on the person.
"""

import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from lifecert.core.audit import counted_address
from lifecert.registry.models import Person

from .enrolment import reference_descriptors
from .models import FaceSession, ReviewRequest


def local_day_start(now: datetime.datetime | None = None) -> datetime.datetime:
    local = timezone.localtime(now or timezone.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def sessions_today(person: Person, now: datetime.datetime) -> QuerySet[FaceSession]:
    return FaceSession.objects.filter(
        person=person, created_at__gte=local_day_start(now)
    )


def _failed_try(now: datetime.datetime) -> Q:
    """The rule of a failed try, in one place: the session saw a face and did
    not pass (an open session past its expiry counts: nobody finished it)."""
    return (
        Q(face_seen=True)
        & ~Q(status=FaceSession.Status.PASSED)
        & (~Q(status=FaceSession.Status.OPEN) | Q(expires_at__lte=now))
    )


def failures_today(person: Person, now: datetime.datetime | None = None) -> int:
    """The day's failed tries (:func:`_failed_try`)."""
    now = now or timezone.now()
    return sessions_today(person, now).filter(_failed_try(now)).count()


def starts_today(person: Person, now: datetime.datetime | None = None) -> int:
    return sessions_today(person, now or timezone.now()).count()


def camera_blocked(person: Person, now: datetime.datetime | None = None) -> bool:
    return failures_today(person, now) >= settings.FACE_MAX_FAILURES_PER_DAY


def tries_left(person: Person, now: datetime.datetime | None = None) -> int:
    return max(0, settings.FACE_MAX_FAILURES_PER_DAY - failures_today(person, now))


def counted(session: FaceSession) -> bool:
    """Whether a finished session is one of the day's failed tries (shown once,
    on the camera page and on the result page)."""
    return (
        FaceSession.objects.filter(pk=session.pk)
        .filter(_failed_try(timezone.now()))
        .exists()
    )


def open_review_today(person: Person) -> ReviewRequest | None:
    return (
        ReviewRequest.objects.filter(
            person=person,
            status=ReviewRequest.Status.OPEN,
            created_at__gte=local_day_start(),
        )
        .order_by("-created_at")
        .first()
    )


def is_enrolled(person: Person) -> bool:
    return bool(reference_descriptors(person))


# A session counts as under way while open and young: a page closed at once is
# left out after ACTIVE_NO_FACE_SECONDS, and any other after ACTIVE_SECONDS
# (genuine sessions take 10-40 s), so abandoned tabs do not fill the room.
ACTIVE_SECONDS = 60
ACTIVE_NO_FACE_SECONDS = 10


def under_way(person: Person, now: datetime.datetime) -> QuerySet[FaceSession]:
    """The sessions of others under way (the person's own open one is left
    out: a new start abandons it). The one rule of both caps below."""
    young = now - datetime.timedelta(seconds=ACTIVE_SECONDS)
    fresh = now - datetime.timedelta(seconds=ACTIVE_NO_FACE_SECONDS)
    return FaceSession.objects.filter(
        Q(face_seen=True) | Q(created_at__gt=fresh),
        status=FaceSession.Status.OPEN,
        created_at__gt=young,
    ).exclude(person=person)


# PostgreSQL's advisory lock of the room: a number of this project's own.
ROOM_LOCK_KEY = 0x4C43_0010


def lock_room() -> None:
    """Hold the room to the end of the caller's transaction: one start at a
    time counts the sessions under way and joins them, in every worker. On
    SQLite the write transaction (``BEGIN IMMEDIATE``) already is that lock.
    Taken before any row lock; nothing that holds a row lock takes it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROOM_LOCK_KEY])


def _at_least(sessions: QuerySet[FaceSession], most: int) -> bool:
    return most > 0 and sessions[:most].count() >= most


def room_full(person: Person, now: datetime.datetime | None = None) -> bool:
    """``FACE_MAX_ACTIVE_SESSIONS`` sessions of others are under way: a new
    start would slow every one of them past the reaction window. One indexed
    count, exact under ``lock_room``."""
    sessions = under_way(person, now or timezone.now())
    return _at_least(sessions, settings.FACE_MAX_ACTIVE_SESSIONS)


def address_full(
    person: Person, ip: str | None, now: datetime.datetime | None = None
) -> bool:
    """``FACE_MAX_ACTIVE_PER_ADDRESS`` sessions of others started from ``ip``
    are under way: one caller with a list of names and numbers cannot fill the
    room for everyone. Exact under ``lock_room``. A request without an address
    is not counted: the sessions of every such request would share one cap.
    An IPv6 caller is counted by its network (``audit.counted_address``)."""
    network = counted_address(ip)
    most = settings.FACE_MAX_ACTIVE_PER_ADDRESS
    if network is None or most <= 0:
        return False
    sessions = under_way(person, now or timezone.now())
    if ":" not in network:
        return _at_least(sessions.filter(ip=network), most)
    # A network of addresses: the room's IPv6 sessions (a few dozen at most:
    # the room's cap) are grouped here, as the column holds whole addresses.
    addresses = sessions.filter(ip__contains=":").values_list("ip", flat=True)
    return sum(counted_address(a) == network for a in addresses) >= most
