"""The pensioner side's own rule: the certification login (name + number).

Face certification itself lives in :mod:`lifecert.certification.face_sessions`.
"""

from django.core.cache import cache

from lifecert.registry.models import Person

NAME_SSN_MISMATCH = (
    "您输入的姓名或社会保障号码与社保机构登记的信息不一致，请核对后重新输入。"
)


class CertificationError(Exception):
    """A request the pensioner side refuses; ``message`` is shown to the user."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


# ---------------------------------------------------------------- login


LOGIN_FAILURES_ALLOWED = 10
LOGIN_LOCK_SECONDS = 15 * 60


def _login_key(ip: str | None) -> str:
    return f"pensioner:cert-login-failures:{ip or 'unknown'}"


def find_registered_person(*, name: str, ssn: str, ip: str | None = None) -> Person:
    """The person registered under ``ssn`` whose name matches, else an error.

    Wrong pairs are counted per address, so that names cannot be tried against
    numbers without end (the answer never says which of the two was wrong).
    """
    key = _login_key(ip)
    if cache.get(key, 0) >= LOGIN_FAILURES_ALLOWED:
        raise CertificationError("locked", "输入错误次数过多，请 15 分钟后再试。", 429)
    person = Person.objects.filter(ssn=ssn.strip().upper()).first()
    if person is None or person.name.strip().casefold() != name.strip().casefold():
        cache.add(key, 0, LOGIN_LOCK_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, LOGIN_LOCK_SECONDS)
        raise CertificationError("not_registered", NAME_SSN_MISMATCH)
    return person
