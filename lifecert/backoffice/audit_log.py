"""The audit log for staff: search, readable rows, Excel export.

Rows read as names, not codes: each action by its label
(``lifecert.core.audit_actions``), each target as the person or unit it is
about, looked up a page (or an export chunk) at a time. ID numbers and phones
are masked wherever they appear, details included.
"""

import datetime
import functools
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone

from lifecert.accounts.models import UnitBinding, User
from lifecert.certification.models import (
    Certification,
    Channel,
    DeathAfterCertificationCase,
    FaceSession,
    FaceTemplate,
    Overpayment,
    ReviewRequest,
)
from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction, action_label
from lifecert.core.masking import mask_id, mask_phone
from lifecert.core.models import AuditEvent
from lifecert.exports.xlsx import DATETIME, Column, Report, write_report_to_tempfile
from lifecert.registry.ids import compact
from lifecert.registry.models import Entitlement, Person, Unit

ID_LIKE = re.compile(r"^(\d{17}[\dXx]|\d{15})$")
CHUNK = 2000
# Target types whose rows lead to a person, and how.
_PERSON_OF: dict[str, Any] = {
    "Entitlement": Entitlement,
    "Certification": Certification,
    "FaceSession": FaceSession,
    "FaceTemplate": FaceTemplate,
    "ReviewRequest": ReviewRequest,
}
_UNIT_OF: dict[str, Any] = {"UnitBinding": UnitBinding}


def masked(value: Any, key: str = "") -> Any:
    """``value`` with every ID number and phone in it masked."""
    if isinstance(value, dict):
        return {k: masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, key) for v in value]
    if isinstance(value, str):
        if "phone" in key:
            return mask_phone(value)
        if ID_LIKE.match(value):
            return mask_id(value)
    return value


def filter_events(
    events: QuerySet[AuditEvent], criteria: dict[str, Any]
) -> QuerySet[AuditEvent]:
    """``events`` narrowed by the search form's cleaned data."""
    if criteria.get("date_from"):
        events = events.filter(at__date__gte=criteria["date_from"])
    if criteria.get("date_to"):
        events = events.filter(at__date__lte=criteria["date_to"])
    if criteria.get("action"):
        events = events.filter(action=criteria["action"])
    if criteria.get("actor"):
        events = events.filter(actor_label__iexact=criteria["actor"].strip())
    target = (criteria.get("target") or "").strip()
    if target:
        events = events.filter(_target_q(target))
    return events


def _target_q(text: str) -> Q:
    """Events about a person (social security number or public id), a unit
    (unit number or public id) or one object (its public id)."""
    try:
        public_id = str(uuid.UUID(text))
    except ValueError:
        person = Person.objects.filter(ssn=compact(text)).first()
        unit = Unit.objects.filter(number=text).first()
    else:
        person = Person.objects.filter(public_id=public_id).first()
        unit = Unit.objects.filter(public_id=public_id).first()
        if person is None and unit is None:
            return Q(target_id=public_id)
    if person is not None:
        pid = str(person.public_id)
        ids = [pid]
        for model in _PERSON_OF.values():
            found = model.objects.filter(person=person).values_list(
                "public_id", flat=True
            )
            ids += [str(u) for u in found]
        return Q(target_id__in=ids) | Q(after__person=pid)
    if unit is not None:
        ids = [str(unit.public_id)]
        for model in _UNIT_OF.values():
            found = model.objects.filter(unit=unit).values_list("public_id", flat=True)
            ids += [str(u) for u in found]
        return Q(target_id__in=ids)
    return Q(pk__in=[])


def person_public_id(text: str) -> str | None:
    """The public id of the person with this social security number, if any:
    what the search puts in its URL instead of the number."""
    number = compact(text)
    if not ID_LIKE.match(number):
        return None
    found = Person.objects.filter(ssn=number).values_list("public_id", flat=True)
    return next((str(u) for u in found), None)


def _describe_targets(events: Iterable[AuditEvent]) -> dict[tuple[str, str], str]:
    """A readable name for each (target type, target id) of ``events``."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event.target_type and event.target_id:
            wanted[event.target_type].add(event.target_id)
    names: dict[tuple[str, str], str] = {}

    def person_label(p: Person) -> str:
        return f"{p.name} {mask_id(p.ssn)}"

    def unit_label(u: Unit) -> str:
        return f"{u.name}（{u.number}）"

    for kind, ids in wanted.items():
        if kind == "Person":
            for p in Person.objects.filter(public_id__in=ids):
                names[kind, str(p.public_id)] = person_label(p)
        elif kind in _PERSON_OF:
            rows = (
                _PERSON_OF[kind]
                .objects.filter(public_id__in=ids)
                .select_related("person")
            )
            for row in rows:
                names[kind, str(row.public_id)] = person_label(row.person)
        elif kind == "Unit":
            for u in Unit.objects.filter(public_id__in=ids):
                names[kind, str(u.public_id)] = unit_label(u)
        elif kind in _UNIT_OF:
            rows = (
                _UNIT_OF[kind].objects.filter(public_id__in=ids).select_related("unit")
            )
            for row in rows:
                names[kind, str(row.public_id)] = unit_label(row.unit)
        elif kind == "User":
            for user in User.objects.filter(public_id__in=ids):
                names[kind, str(user.public_id)] = f"账号 {masked(user.username)}"
    return names


@dataclass
class Row:
    at: datetime.datetime
    action: str
    actor: str
    target: str
    region: str
    ip: str
    detail: str


def _detail(event: AuditEvent) -> str:
    labels = _value_labels().get(event.target_type, {})
    parts = []
    if event.before:
        parts.append(f"变更前 {_compact(masked(event.before), labels)}")
    if event.after:
        parts.append(_compact(masked(event.after), labels))
    return "；".join(parts)


# What staff read for the keys of ``before`` / ``after``; a key without a
# label is shown as it is.
DETAIL_LABELS = {
    "account": "账号",
    "amount": "金额",
    "attachment": "附件",
    "back_pay_months": "补发月数",
    "body_chars": "正文字数",
    "category": "栏目",
    "certified_at": "认证时间",
    "channel": "认证方式",
    "count": "数量",
    "criteria": "查询条件",
    "date_from": "起始日期",
    "date_to": "截止日期",
    "day": "日期",
    "death_date": "死亡日期",
    "detail": "说明",
    "done_actions": "已完成动作",
    "due_on": "认证截止日期",
    "entitlement": "养老待遇",
    "expires_at": "有效期至",
    "failed": "失败",
    "failures_today": "当天失败次数",
    "file": "文件",
    "id_number": "身份证号码",
    "is_active": "启用",
    "month": "月份",
    "name": "姓名",
    "no_phone": "无手机号码",
    "note": "备注",
    "operator": "经办人",
    "operator_name": "经办人姓名",
    "overpaid_months": "多发月数",
    "person": "参保人",
    "phone": "手机号码",
    "publish_at": "发布时间",
    "reason": "原因",
    "records": "记录数",
    "region": "参保地",
    "responsible": "追回责任方",
    "rows": "行数",
    "run": "暂停批次",
    "scopes": "权限范围",
    "sent": "已发送",
    "since": "起始",
    "source": "数据来源",
    "status": "状态",
    "system": "系统名称",
    "title": "标题",
    "unit": "单位",
    "unit_number": "单位编号",
    "username": "账号",
    "verdict": "结果",
    "via": "绑定方式",
    "withdraw_at": "撤下时间",
}


@functools.cache
def _target_names() -> dict[str, str]:
    """What a target not named by a person or unit is, by its type: the name
    its model gives itself (``Meta.verbose_name``); a model without one is
    shown by its class name."""
    return {
        model.__name__: str(model._meta.verbose_name)
        for model in apps.get_models()
        if "verbose_name" in model._meta.original_attrs
    }


@functools.cache
def _value_labels() -> dict[str, dict[str, str]]:
    """The Chinese words of coded values (状态, 认证方式), by target type."""
    channels = {str(k): str(v) for k, v in Channel.choices}

    def of(choices: list[tuple[str, str]]) -> dict[str, str]:
        return {**channels, **{str(k): str(v) for k, v in choices}}

    return {
        # Exports: their criteria filter pensions and overpayments.
        "": of(Entitlement.Status.choices + Overpayment.Status.choices),
        "Entitlement": of(Entitlement.Status.choices),
        "Certification": channels,
        "Overpayment": of(Overpayment.Status.choices),
        "DeathAfterCertificationCase": of(DeathAfterCertificationCase.Status.choices),
        "ReviewRequest": of(ReviewRequest.Status.choices),
        "FaceSession": of(FaceSession.Status.choices),
        "FaceTemplate": of(FaceTemplate.Status.choices),
    }


def _compact(values: dict[str, Any], labels: dict[str, str]) -> str:
    return "，".join(
        f"{DETAIL_LABELS.get(k, k)}：{_value(v, labels)}" for k, v in values.items()
    )


def _value(value: Any, labels: dict[str, str]) -> str:
    if isinstance(value, dict):
        return f"（{_compact(value, labels)}）" if value else "无"
    if isinstance(value, list):
        return "、".join(_value(v, labels) for v in value) or "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return "无"
    return labels.get(value, str(value)) if isinstance(value, str) else str(value)


def readable(events: Iterable[AuditEvent]) -> list[Row]:
    """The events as staff read them (two or three queries for a page)."""
    events = list(events)
    names = _describe_targets(events)
    return [
        Row(
            at=event.at,
            action=action_label(event.action),
            actor=masked(event.actor_label),
            target=names.get(
                (event.target_type, event.target_id),
                f"{_target_names().get(event.target_type, event.target_type)}"
                f" {event.target_id}".strip(),
            ),
            region=event.region.name if event.region else "全省",
            ip=event.ip or "",
            detail=_detail(event),
        )
        for event in events
    ]


def audit_report(
    events: QuerySet[AuditEvent], *, now: datetime.datetime | None = None
) -> Report:
    """审计日志 as a sheet, a chunk of rows at a time."""

    def generate() -> Iterator[tuple[Any, ...]]:
        chunk: list[AuditEvent] = []
        for event in events.order_by("-at", "-id").iterator(chunk_size=CHUNK):
            chunk.append(event)
            if len(chunk) == CHUNK:
                yield from _sheet_rows(chunk)
                chunk = []
        yield from _sheet_rows(chunk)

    stamp = timezone.localtime(now or timezone.now()).strftime("%Y%m%d%H%M%S")
    return Report(
        title="审计日志",
        filename=f"审计日志_{stamp}.xlsx",
        columns=[
            Column("时间", DATETIME, width=20),
            Column("操作", width=18, repeated=True),
            Column("操作人", width=20),
            Column("对象", width=32),
            Column("参保地", width=10, repeated=True),
            Column("IP 地址", width=16),
            Column("详情", width=60),
        ],
        rows=generate(),
    )


def _sheet_rows(events: list[AuditEvent]) -> Iterator[tuple[Any, ...]]:
    for row in readable(events):
        yield (
            row.at,
            row.action,
            row.actor,
            row.target,
            row.region,
            row.ip,
            row.detail,
        )


def export_audit(
    *,
    report: Report,
    criteria: dict[str, Any],
    acting_user: Any,
    ip: str | None,
) -> IO[bytes]:
    """Write the searched events (``audit_report``) to a workbook and audit
    the export itself."""
    handle, rows = write_report_to_tempfile(report)
    audit.record(
        AuditAction.EXPORT_AUDIT,
        acting_user=acting_user,
        ip=ip,
        after={
            "rows": rows,
            "criteria": {k: str(v) for k, v in criteria.items() if v},
            "file": report.filename,
        },
    )
    return handle
