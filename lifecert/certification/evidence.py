"""Evidence from other agencies, row by row: death records and data comparison.

One service under both doors: the Excel imports (``imports.py``, rows read
from a sheet) and the integration API (``lifecert.api``, rows from a JSON
batch). Both follow the registry import's rule: every row is checked first,
each bad row is reported with its number, field and reason, and nothing is
written unless every row is good. ``dry_run`` runs the whole batch the same way
inside a transaction and rolls it back: the preview counts are the real ones.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.models import Entitlement, Region

from .models import Channel, DeathAfterCertificationCase, Overpayment
from .services import record_certification, record_death


class Kind(models.TextChoices):
    DEATHS = "deaths", "死亡名单"
    COMPARISON = "comparison", "数据比对"


# What the date of a row means, in the words of the sheet's header.
DATE_LABEL = {Kind.DEATHS: "死亡日期", Kind.COMPARISON: "比对日期"}
SOURCE_MAX_LENGTH = 100


@dataclass(frozen=True)
class EvidenceRow:
    """One row as the caller sent it; ``number`` is how the caller counts rows."""

    number: int
    ssn: str
    name: str
    date: datetime.date | None
    # The date as written, for the message when it is not one.
    date_text: str = ""
    source: str = ""


@dataclass(frozen=True)
class RowError:
    """One problem of one row: which field, a stable code, a Chinese message."""

    row: int | None
    field: str
    code: str
    message: str


class EvidenceRejected(Exception):
    """Some rows are bad: nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} row errors")
        self.errors = errors


@dataclass
class EvidenceResult:
    rows: int
    changed: int
    skipped: int
    # Deaths only: overpayments recorded, and certifications found dated after
    # the death (each a case for staff).
    overpaid: int = 0
    cases: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Good:
    row: EvidenceRow
    day: datetime.date
    entitlements: list[Entitlement] = field(default_factory=list)


def check_rows(
    kind: Kind, rows: Sequence[EvidenceRow], regions: Iterable[Region]
) -> list[_Good]:
    """Every row matched to its entitlements in ``regions``; raises EvidenceRejected."""
    numbers = {row.ssn for row in rows}
    entitlements: dict[str, list[Entitlement]] = {}
    for e in Entitlement.objects.filter(
        person__ssn__in=numbers, region__in=list(regions)
    ).select_related("person", "region"):
        entitlements.setdefault(e.person.ssn, []).append(e)
    today = timezone.localdate()
    label = DATE_LABEL[kind]
    errors: list[RowError] = []
    good: list[_Good] = []
    for row in rows:
        found = entitlements.get(row.ssn)
        before = len(errors)
        if not found:
            errors.append(
                RowError(
                    row.number,
                    "ssn",
                    "not_found",
                    f"社会保障号码 {row.ssn or '（空）'} 在您管辖的参保地没有养老待遇",
                )
            )
        elif found[0].person.name != row.name:
            errors.append(
                RowError(
                    row.number,
                    "name",
                    "name_mismatch",
                    f"姓名“{row.name}”与登记的姓名不一致",
                )
            )
        if row.date is None:
            errors.append(
                RowError(
                    row.number,
                    "date",
                    "invalid_date",
                    f"{label}“{row.date_text}”不是有效日期",
                )
            )
        elif row.date > today:
            errors.append(
                RowError(
                    row.number, "date", "future_date", f"{label} {row.date} 晚于今天"
                )
            )
        if len(errors) == before and found and row.date is not None:
            good.append(_Good(row, row.date, found))
    if errors:
        raise EvidenceRejected(errors)
    return good


class _Preview(Exception):
    """Raised to roll a dry run back, carrying what it would have done."""

    def __init__(self, result: EvidenceResult) -> None:
        super().__init__("dry run")
        self.result = result


def apply_rows(
    kind: Kind,
    rows: Sequence[EvidenceRow],
    *,
    acting_user: Any,
    regions: Iterable[Region],
    ip: str | None = None,
    dry_run: bool = False,
    evidence: dict[str, Any] | None = None,
    audit_extra: dict[str, Any] | None = None,
) -> EvidenceResult:
    """Check every row, then terminate (deaths) or certify (comparison) in one
    transaction, audited as the Excel import is. ``dry_run``: the same work,
    rolled back. ``evidence`` is added to each silent certification's evidence."""
    good = check_rows(kind, rows, regions)
    try:
        with transaction.atomic():
            if kind == Kind.DEATHS:
                result = _deaths(good, acting_user=acting_user, ip=ip)
                action = AuditAction.IMPORT_DEATHS
                after = {
                    "rows": result.rows,
                    "terminated": result.changed,
                    "skipped": result.skipped,
                    "overpaid": result.overpaid,
                    "cases": result.cases,
                }
            else:
                result = _comparison(
                    good, acting_user=acting_user, ip=ip, evidence=evidence or {}
                )
                action = AuditAction.IMPORT_COMPARISON
                after = {
                    "rows": result.rows,
                    "certified": result.changed,
                    "skipped": result.skipped,
                }
            if dry_run:
                result.dry_run = True
                raise _Preview(result)
            audit.record(
                action,
                acting_user=acting_user,
                ip=ip,
                after={**after, **(audit_extra or {})},
            )
    except _Preview as preview:
        return preview.result
    return result


def _deaths(good: list[_Good], *, acting_user: Any, ip: str | None) -> EvidenceResult:
    changed = skipped = overpaid = 0
    cases_before = DeathAfterCertificationCase.objects.count()
    for item in good:
        for entitlement in item.entitlements:
            if entitlement.status == Entitlement.Status.TERMINATED:
                skipped += 1
                continue
            overpayment: Overpayment | None = record_death(
                entitlement=entitlement,
                death_date=item.day,
                acting_user=acting_user,
                ip=ip,
            )
            overpaid += overpayment is not None
            changed += 1
    cases = DeathAfterCertificationCase.objects.count() - cases_before
    return EvidenceResult(len(good), changed, skipped, overpaid, cases)


def _comparison(
    good: list[_Good], *, acting_user: Any, ip: str | None, evidence: dict[str, Any]
) -> EvidenceResult:
    changed = skipped = 0
    for item in good:
        at = timezone.make_aware(datetime.datetime.combine(item.day, datetime.time(12)))
        for entitlement in item.entitlements:
            last = entitlement.last_certified_at
            if entitlement.status == Entitlement.Status.TERMINATED or (
                last is not None and last >= at
            ):
                skipped += 1
                continue
            record_certification(
                entitlement=entitlement,
                channel=Channel.DATA,
                acting_user=acting_user,
                at=at,
                evidence={"source": item.row.source, **evidence},
                operator_name="数据比对",
                ip=ip,
            )
            changed += 1
    return EvidenceResult(len(good), changed, skipped)
