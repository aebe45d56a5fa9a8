"""Writing a previewed registry import (``import_plan``), exactly as shown.

One transaction: the plan is made again under row locks and compared with the
one previewed; only then are units, persons, entitlements and the migrated
certifications written, each change audited, and the import itself.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from lifecert.certification.models import Certification, Channel
from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction

from .excel import read_rows
from .ids import birth_date, gender
from .import_plan import Plan, PlanChanged, plan_import, show_day
from .imports import check_rows
from .models import Entitlement, Person, Region, Unit


@dataclass
class ImportResult:
    counts: dict[str, int]


def confirm_registry(
    data: bytes,
    *,
    acting_user: Any,
    regions: list[Region],
    fingerprint: str,
    ip: str | None = None,
) -> ImportResult:
    """Write the previewed plan in one transaction, audited; ``PlanChanged``
    (nothing written) if the file would now do anything else."""
    header, raw_rows = read_rows(data)
    with transaction.atomic():
        rows, skipped, errors = check_rows(
            header, raw_rows, regions={r.code: r for r in regions}
        )
        plan = plan_import(rows, regions=regions, lock=True, errors=errors)
        plan.skipped = skipped
        if plan.fingerprint != fingerprint:
            raise PlanChanged(plan)
        _apply(plan, acting_user=acting_user, ip=ip)
        counts = plan.counts()
        audit.record(
            AuditAction.REGISTRY_IMPORT,
            acting_user=acting_user,
            ip=ip,
            after={**counts, "fingerprint": fingerprint},
        )
    return ImportResult(counts)


def _apply(plan: Plan, *, acting_user: Any, ip: str | None) -> None:
    units = {
        number: Unit.objects.create(
            number=number, name=row.unit_name, region=row.region
        )
        for number, row in plan.new_units.items()
    }
    units.update(
        (u.number, u)
        for u in Unit.objects.filter(
            number__in={p.row.unit_number for p in plan.rows if p.row.unit_number}
        )
    )
    persons: dict[str, Person] = {}
    updated: set[int] = set()
    certifications: list[tuple[Entitlement, Certification]] = []
    for planned in plan.rows:
        row = planned.row
        person = planned.person or persons.get(row.ssn)
        if person is None:
            person = persons[row.ssn] = Person.objects.create(
                ssn=row.ssn,
                name=row.name,
                phone=row.phone,
                address=row.address,
                birth_date=birth_date(row.ssn),
                gender=gender(row.ssn),
            )
        elif planned.person_changes and person.pk not in updated:
            updated.add(person.pk)
            before = {f: getattr(person, f) for f in planned.person_changes}
            for f, v in planned.person_changes.items():
                setattr(person, f, v)
            person.save(update_fields=list(planned.person_changes))
            audit.record(
                AuditAction.PERSON_UPDATE,
                acting_user=acting_user,
                target=person,
                ip=ip,
                before=before,
                after={**planned.person_changes, "source": "import"},
            )
        changes = dict(planned.entitlement_changes)
        if "unit" in changes:
            changes["unit"] = units.get(changes["unit"])
        entitlement = planned.entitlement
        if entitlement is None:
            entitlement = Entitlement.objects.create(
                person=person, region=row.region, **changes
            )
        elif changes:
            before = {f: str(getattr(entitlement, f)) for f in changes}
            for f, v in changes.items():
                setattr(entitlement, f, v)
            entitlement.save(update_fields=list(changes))
            if "status" in changes or "status_since" in changes:
                audit.record(
                    AuditAction.ENTITLEMENT_STATUS,
                    acting_user=acting_user,
                    target=entitlement,
                    ip=ip,
                    before=before,
                    after={
                        "status": entitlement.status,
                        "since": show_day(entitlement.status_since),
                        "source": "import",
                    },
                )
        if planned.certify_on is not None:
            certifications.append(
                (entitlement, _migrated(entitlement, planned.certify_on, acting_user))
            )
    _record_certifications(certifications, acting_user=acting_user, ip=ip)


def _migrated(
    entitlement: Entitlement, day: datetime.date, acting_user: Any
) -> Certification:
    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    return Certification(
        person_id=entitlement.person_id,
        region_id=entitlement.region_id,
        entitlement=entitlement,
        certified_at=at,
        channel=Channel.MIGRATED,
        operator=acting_user,
        operator_name="历史数据迁移",
        evidence={"source": "registry_import", "上次认证日期": day.isoformat()},
    )


def _record_certifications(
    certifications: list[tuple[Entitlement, Certification]],
    *,
    acting_user: Any,
    ip: str | None,
) -> None:
    created = Certification.objects.bulk_create(
        [c for _, c in certifications], batch_size=2000
    )
    for entitlement, certification in certifications:
        Entitlement.objects.filter(pk=entitlement.pk).update(
            last_certified_at=certification.certified_at
        )
    audit.record_many(
        AuditAction.CERTIFICATION_CREATE,
        acting_user=acting_user,
        model=Certification,
        pks=[c.pk for c in created],
        ip=ip,
        after={"channel": Channel.MIGRATED.value, "source": "import"},
    )
