"""The pensioner side's own rule: the certification login (name + number).

Face certification itself lives in :mod:`lifecert.certification.face_sessions`.
"""

from django.conf import settings

from lifecert.core import throttle
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


def find_registered_person(*, name: str, ssn: str, ip: str | None = None) -> Person:
    """The person registered under ``ssn`` whose name matches, else an error.

    Wrong pairs are counted in the shared cache (every worker, across
    restarts) per client address and, with a higher limit, per number, so
    names cannot be tried against numbers without end; the answer never says
    which of the two was wrong.
    """
    ssn = ssn.strip().upper()
    limits = [
        (throttle.per_address("cert-login", ip), settings.CERT_LOGIN_MAX_PER_ADDRESS),
        (("cert-login", "ssn", ssn), settings.CERT_LOGIN_MAX_PER_NUMBER),
    ]
    if throttle.is_blocked(limits):
        raise CertificationError(
            "locked", f"输入错误次数过多，请 {throttle.minutes()} 分钟后再试。", 429
        )
    person = Person.objects.filter(ssn=ssn).first()
    if person is None or person.name.strip().casefold() != name.strip().casefold():
        throttle.record_failure(limits)
        raise CertificationError("not_registered", NAME_SSN_MISMATCH)
    return person
