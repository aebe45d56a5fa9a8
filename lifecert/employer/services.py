"""Employer writes: commitment letter, bulk certification, audited exports."""

import datetime
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from lifecert.accounts.models import UnitBinding
from lifecert.certification.cycle import month_start
from lifecert.certification.models import Certification, Channel
from lifecert.certification.services import open_death_cases
from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.exports.xlsx import Report, write_report_to_tempfile
from lifecert.registry.models import Entitlement

from .access import Search, pending_entitlements, set_digest
from .models import Commitment

MAX_SELECTED = 1000
# Ids per INSERT ... SELECT and UPDATE (well under SQLite's 32,766 variables).
CHUNK = 10000


class EmployerError(Exception):
    """A refused request; ``message`` is shown to the operator as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def has_current_commitment(binding: UnitBinding) -> bool:
    """Has this operator accepted the current letter for this unit number?"""
    return Commitment.objects.filter(
        account_id=binding.account_id,
        unit_id=binding.unit_id,
        version=settings.COMMITMENT_LETTER_VERSION,
        operator_name=binding.operator_name,
    ).exists()


def accept_commitment(
    *, acting_user: Any, binding: UnitBinding, ip: str | None
) -> Commitment:
    """我已阅读并同意: record the letter version, time and address per operator.

    A new bound operator accepts again; the row keeps the latest acceptance and
    the audit log keeps every one.
    """
    version = settings.COMMITMENT_LETTER_VERSION
    with transaction.atomic():
        commitment, created = Commitment.objects.select_for_update().get_or_create(
            account_id=binding.account_id,
            unit_id=binding.unit_id,
            version=version,
            defaults={"operator_name": binding.operator_name, "ip": ip},
        )
        before: dict[str, Any] = {}
        if not created and commitment.operator_name != binding.operator_name:
            before = {"operator_name": commitment.operator_name}
            commitment.operator_name = binding.operator_name
            commitment.ip = ip
            commitment.accepted_at = timezone.now()
            commitment.save(update_fields=["operator_name", "ip", "accepted_at"])
        if created or before:
            audit.record(
                AuditAction.COMMITMENT_ACCEPT,
                acting_user=acting_user,
                target=binding.unit,
                ip=ip,
                before=before,
                after={"version": version, "operator_name": binding.operator_name},
            )
    return commitment


@dataclass
class SaveResult:
    saved: int = 0
    already_certified: int = 0
    not_normal: int = 0
    saved_ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.already_certified + self.not_normal

    def message(self) -> str:
        parts = []
        if self.saved:
            parts.append(f"认证成功，共 {self.saved} 人。")
        else:
            parts.append("没有需要认证的人员，未保存任何记录。")
        if self.already_certified:
            parts.append(
                f"{self.already_certified} 人本月已完成认证（可能已通过其他方式认证"
                "或重复提交），已跳过。"
            )
        if self.not_normal:
            parts.append(
                f"{self.not_normal} 人待遇领取状态不是正常（暂停或终止），"
                "不能认证，已跳过。"
            )
        return "".join(parts)


def _uuid_sql() -> str:
    if connection.vendor == "postgresql":
        return "gen_random_uuid()"
    # Django keeps UUIDField as 32 hex characters on SQLite.
    return "lower(hex(randomblob(16)))"


def _insert_certifications(
    entitlement_sql: str,
    entitlement_params: Sequence[Any],
    *,
    at: datetime.datetime,
    operator_id: int,
    operator_name: str,
    unit_id: int,
    evidence: dict[str, Any],
) -> int:
    """One INSERT ... SELECT for every entitlement id the subquery returns."""
    table = Certification._meta.db_table
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    sql = (
        f"INSERT INTO {table} (public_id, person_id, region_id, entitlement_id,"  # noqa: S608 identifiers are ours
        " certified_at, channel, operator_id, operator_name, unit_id, evidence,"
        " receipt_code)"
        f" SELECT {_uuid_sql()}, e.person_id, e.region_id, e.id, %s, %s, %s, %s,"
        f" %s, %s{json_cast}, NULL FROM {Entitlement._meta.db_table} e"
        f" WHERE e.id IN ({entitlement_sql})"
    )
    params = [
        connection.ops.adapt_datetimefield_value(at),
        Channel.UNIT.value,
        operator_id,
        operator_name,
        unit_id,
        json.dumps(evidence, ensure_ascii=False),
        *entitlement_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted: int = cursor.rowcount
        return inserted


def certify_pensioners(
    *,
    acting_user: Any,
    binding: UnitBinding,
    entitlement_ids: Sequence[uuid.UUID] = (),
    search: Search | None = None,
    confirmed_digest: str = "",
    ip: str | None = None,
    now: datetime.datetime | None = None,
) -> SaveResult:
    """保存: certify the selected pensioners (单位代认证) in set-based SQL.

    Either ``entitlement_ids`` (the people the confirmation listed) or
    ``search`` (选择全部符合查询条件的人员, more than a confirmation lists) with
    ``confirmed_digest``, the fingerprint (``access.set_digest``) of the set the
    confirmation counted: if the matching set is not exactly that one any more,
    nothing is written, so nobody the operator did not confirm is certified.
    Ids that are not this unit's pensioners refuse the whole request and
    nothing is written. Inside one transaction the selection is
    filtered again, with row locks, to the list's own rule (normal, no
    certification this month): a double click, a resubmitted form or someone
    certified meanwhile by another channel is skipped and counted, never
    duplicated. Writes one INSERT ... SELECT of certifications, one UPDATE of
    ``last_certified_at`` and one audit row per pensioner.
    """
    if not has_current_commitment(binding):
        raise EmployerError(
            "请先阅读《网上办理企业养老保险资格认证业务承诺书》并点击“我已阅读并同意”。"
        )
    unit = binding.unit
    now = now or timezone.now()
    ids = list(dict.fromkeys(entitlement_ids))
    if search is None and not ids:
        raise EmployerError("请先勾选需要做资格认证的员工。")
    if search is not None and not confirmed_digest:
        raise EmployerError("请先确认认证名单，未保存任何记录。")
    if len(ids) > MAX_SELECTED:
        raise EmployerError(
            f"一次最多勾选 {MAX_SELECTED} 人；"
            "更多人员请使用“选择全部符合查询条件的人员”。"
        )
    with transaction.atomic():
        if search is None:
            selected = Entitlement.objects.filter(unit=unit, public_id__in=ids)
            statuses = dict(selected.values_list("public_id", "status"))
            if len(statuses) != len(ids):
                raise EmployerError(
                    "所选人员中有不属于本单位或不存在的人员，未保存任何记录，"
                    "请刷新页面后重新选择。"
                )
            candidates = pending_entitlements(unit, now=now).filter(public_id__in=ids)
        else:
            candidates = pending_entitlements(unit, search, now=now)
        locked = list(
            candidates.select_for_update(of=("self",))
            .order_by("id")
            .values_list("id", "public_id")
        )
        confirmed = search is None or (
            set_digest(pk for pk, _ in locked) == confirmed_digest
        )
        if not confirmed:
            raise EmployerError(
                "确认之后符合条件的人员有变化（有人已认证、待遇状态改变或新增人员），"
                "未保存任何记录，请重新确认名单。"
            )
        result = SaveResult(saved=len(locked))
        if search is None:
            not_normal = sum(
                1 for status in statuses.values() if status != Entitlement.Status.NORMAL
            )
            result.not_normal = not_normal
            result.already_certified = len(ids) - len(locked) - not_normal
        if not locked:
            return result
        pks = [pk for pk, _ in locked]
        # Recorded dead (in another region's records, say): the certification
        # is kept as the evidence of a case for staff, but moves no due date.
        dead = set(
            Entitlement.objects.filter(
                pk__in=pks, person__death_date__lt=timezone.localdate(now)
            ).values_list("pk", flat=True)
        )
        inserted = 0
        for start in range(0, len(pks), CHUNK):
            chunk = pks[start : start + CHUNK]
            inserted += _insert_certifications(
                ", ".join(["%s"] * len(chunk)),
                chunk,
                at=now,
                operator_id=acting_user.pk,
                operator_name=binding.operator_name,
                unit_id=unit.pk,
                evidence={
                    "unit": unit.number,
                    "commitment": settings.COMMITMENT_LETTER_VERSION,
                },
            )
            Entitlement.objects.filter(pk__in=chunk).exclude(pk__in=dead).update(
                last_certified_at=now
            )
        if inserted != len(pks):  # pragma: no cover - the rows are locked
            raise RuntimeError("certification insert count mismatch")
        result.saved_ids = [public_id for _, public_id in locked]
        if dead:
            open_death_cases(
                certifications=Certification.objects.filter(
                    entitlement_id__in=dead, unit=unit, certified_at=now
                ),
                acting_user=acting_user,
                ip=ip,
            )
        audit.record_many(
            AuditAction.CERTIFICATION_UNIT,
            acting_user=acting_user,
            model=Entitlement,
            pks=pks,
            ip=ip,
            after={
                "channel": Channel.UNIT.value,
                "unit": unit.number,
                "operator_name": binding.operator_name,
                "month": month_start(now).strftime("%Y-%m"),
            },
        )
    return result


def export_report(
    *,
    acting_user: Any,
    binding: UnitBinding,
    report: Report,
    kind: str,
    ip: str | None,
    criteria: dict[str, Any] | None = None,
) -> tuple[IO[bytes], int]:
    """Write ``report`` to a temporary file and audit the export (who, what, rows)."""
    handle, rows = write_report_to_tempfile(report)
    audit.record(
        AuditAction(f"export.{kind}"),
        acting_user=acting_user,
        target=binding.unit,
        ip=ip,
        after={"rows": rows, "criteria": criteria or {}, "file": report.filename},
    )
    return handle, rows
