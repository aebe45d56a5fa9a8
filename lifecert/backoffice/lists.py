"""工作清单: the back office's working lists, one machinery for all of them.

A ``WorkList`` says which rows a staff user may read (through the access
helpers), which filters it takes (region, unit number, a date range on one of
its columns, and its own), how its page is ordered and drawn, and which report
its Excel export writes under which audit action. ``views`` serve every list
through ``search`` and ``export_list``; the dashboard links to them with the
same query parameters, so a figure and its list count the same rows.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from django import forms as django_forms
from django.db.models import CharField, Count, DateField, F, QuerySet, Sum, Value

from lifecert.certification import cycle
from lifecert.certification.access import (
    back_pays_for_staff,
    certifications_for_staff,
    death_cases_for_staff,
    overpayments_for_staff,
    reviews_for_staff,
    suspension_runs_for_staff,
)
from lifecert.certification.models import (
    BackPay,
    DeathAfterCertificationCase,
    Overpayment,
    ReviewRequest,
)
from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.exports import money, worklists
from lifecert.exports.xlsx import Report, write_report_to_tempfile
from lifecert.registry.access import entitlements_for_staff
from lifecert.reminders.services import label_reminders

from . import forms

Criteria = dict[str, Any]


def between(field: str, criteria: Criteria, *, instant: bool) -> dict[str, Any]:
    """The list's date range as lookups; an instant column by local days."""
    lookups: dict[str, Any] = {}
    start, end = criteria.get("date_from"), criteria.get("date_to")
    if start:
        lookups[f"{field}__gte"] = cycle.local_midnight(start) if instant else start
    if end:
        stop = end + cycle.ONE_DAY
        if instant:
            lookups[f"{field}__lt"] = cycle.local_midnight(stop)
        else:
            lookups[f"{field}__lte"] = end
    return lookups


def narrow(
    records: QuerySet[Any],
    criteria: Criteria,
    *,
    region: str,
    unit: str,
    date: str | None = None,
    instant: bool = True,
) -> QuerySet[Any]:
    """The filters every list shares, on the list's own column names."""
    if value := criteria.get("region"):
        records = records.filter(**{region: value})
    if value := criteria.get("unit"):
        records = records.filter(**{unit: value})
    if date is not None:
        records = records.filter(**between(date, criteria, instant=instant))
    return records


# The rows of each list, for a staff user and the form's criteria.


def due_soon(user: Any, criteria: Criteria) -> QuerySet[Any]:
    rows = cycle.due_within(entitlements_for_staff(user), cycle.DUE_SOON_DAYS)
    return narrow(rows, criteria, region="region", unit="unit__number")


def overdue(user: Any, criteria: Criteria) -> QuerySet[Any]:
    rows = cycle.overdue(entitlements_for_staff(user))
    return narrow(rows, criteria, region="region", unit="unit__number")


def entitlements(user: Any, criteria: Criteria) -> QuerySet[Any]:
    rows = entitlements_for_staff(user)
    if status := criteria.get("status"):
        rows = rows.filter(status=status)
    if month := criteria.get("certified"):
        first = month.replace(day=1)
        rows = rows.filter(cycle.certified_in_q(first, cycle.add_months(first, 1)))
    return narrow(
        rows,
        criteria,
        region="region",
        unit="unit__number",
        date="status_since",
        instant=False,
    )


def certifications(user: Any, criteria: Criteria) -> QuerySet[Any]:
    rows = certifications_for_staff(user)
    if channel := criteria.get("channel"):
        rows = rows.filter(channel=channel)
    return narrow(
        rows, criteria, region="region", unit="unit__number", date="certified_at"
    )


def back_pays(user: Any, criteria: Criteria) -> QuerySet[BackPay]:
    """By the run that stopped the pension, the month it resumed (local)."""
    rows = back_pays_for_staff(user)
    if run := criteria.get("run"):
        rows = rows.filter(suspension_run__public_id=run)
    if month := criteria.get("month"):
        first = month.replace(day=1)
        rows = rows.filter(
            created_at__gte=cycle.local_midnight(first),
            created_at__lt=cycle.local_midnight(cycle.add_months(first, 1)),
        )
    return narrow(
        rows,
        criteria,
        region="entitlement__region",
        unit="entitlement__unit__number",
        date="created_at",
    )


def overpayments(user: Any, criteria: Criteria) -> QuerySet[Overpayment]:
    rows = overpayments_for_staff(user)
    if status := criteria.get("status"):
        rows = rows.filter(status=status)
    return narrow(
        rows,
        criteria,
        region="entitlement__region",
        unit="entitlement__unit__number",
        date="created_at",
    )


_CASE_FIELDS = (
    "kind",
    "public_id",
    "created_at",
    "region_name",
    "person_name",
    "person_ssn",
    "person_key",
    "death_date",
    "channel",
    "reason",
)


def open_cases(user: Any, criteria: Criteria) -> QuerySet[Any]:
    """待办案件: open 死亡后认证核查 and 人工审核 cases, as one list of dicts."""
    kind = criteria.get("kind") or ""
    parts: list[QuerySet[Any]] = []
    if kind in ("", "death"):
        deaths = narrow(
            death_cases_for_staff(user).filter(
                status=DeathAfterCertificationCase.Status.OPEN
            ),
            criteria,
            region="entitlement__region",
            unit="entitlement__unit__number",
            date="created_at",
        )
        parts.append(
            deaths.annotate(
                kind=Value("death", CharField()),
                region_name=F("entitlement__region__name"),
                person_name=F("person__name"),
                person_ssn=F("person__ssn"),
                person_key=F("person__public_id"),
                reason=Value("", CharField()),
            ).values(*_CASE_FIELDS)
        )
    if kind in ("", "review"):
        reviews = reviews_for_staff(user).filter(status=ReviewRequest.Status.OPEN)
        if unit := criteria.get("unit"):
            reviews = reviews.filter(
                person__entitlements__unit__number=unit,
                person__entitlements__region=F("region"),
            )
        without_unit = {**criteria, "unit": ""}  # filtered above
        reviews = narrow(
            reviews, without_unit, region="region", unit="", date="created_at"
        )
        parts.append(
            reviews.annotate(
                kind=Value("review", CharField()),
                region_name=F("region__name"),
                person_name=F("person__name"),
                person_ssn=F("person__ssn"),
                person_key=F("person__public_id"),
                death_date=Value(None, DateField()),
                channel=Value("", CharField()),
            ).values(*_CASE_FIELDS)
        )
    first, *rest = parts
    return first.union(*rest, all=True) if rest else first


@dataclass(frozen=True)
class WorkList:
    """One working list: its rows, filters, page and export."""

    name: str  # the URL name of its page; ``<name>-export`` of its export
    title: str
    intro: str
    form: type[forms.ListFilterForm]
    rows: Callable[[Any, Criteria], QuerySet[Any]]
    order: tuple[str, ...]
    row_template: str
    report: Callable[[QuerySet[Any]], Report]
    action: AuditAction
    page_template: str = "backoffice/worklist.html"
    related: tuple[str, ...] = ()  # select_related of the page's rows
    # More for the page: (user, rows, criteria) -> context (totals, the run).
    more: Callable[[Any, QuerySet[Any], Criteria], dict[str, Any]] | None = None
    # Columns read per page, not per row: called with the page's rows.
    on_page: Callable[[list[Any]], None] | None = None

    @property
    def export_name(self) -> str:
        """The URL name of the list's export."""
        return self.name.removesuffix("-list") + "-export"


def _entitlement_sheet(title: str) -> Callable[[QuerySet[Any]], Report]:
    def report(rows: QuerySet[Any]) -> Report:
        ordered = rows.order_by("region__code", "unit__number", "pk")
        return worklists.entitlement_report(ordered, title=title)

    return report


_ENTITLEMENT_ORDER = ("region__code", "unit__number", "pk")


def _money_totals(user: Any, rows: QuerySet[Any], criteria: Criteria) -> dict[str, Any]:
    more: dict[str, Any] = {
        "totals": rows.aggregate(n=Count("id"), amount=Sum("amount")),
        "status_choices": Overpayment.Status.choices,
        "run": None,
    }
    if criteria.get("run"):
        runs = suspension_runs_for_staff(user)
        more["run"] = runs.filter(public_id=criteria["run"]).first()
    return more


LISTS: dict[str, WorkList] = {
    spec.name: spec
    for spec in [
        WorkList(
            name="due-list",
            title="30 天内到期",
            intro="以下人员将在 30 天内到期，请提醒本人或所在单位按时办理资格认证。"
            "系统每日向登记了手机号码的人员发送一次提醒短信（每个认证周期一次）；"
            "没有手机号码或发送失败的，请导出提醒名单寄送提醒函或电话提醒。",
            form=forms.DueFilterForm,
            rows=due_soon,
            order=_ENTITLEMENT_ORDER,
            row_template="backoffice/_entitlement_rows.html",
            related=("person", "region", "unit"),
            report=_entitlement_sheet("30天内到期名单"),
            action=AuditAction.EXPORT_DUE,
            page_template="backoffice/due_list.html",
            on_page=label_reminders,
        ),
        WorkList(
            name="overdue-list",
            title="已逾期未认证",
            intro="以下人员已超过认证期限，下次执行暂停批次时将暂停发放。"
            "请先联系本人认证，或到“暂停名单（预览）”核对后执行。",
            form=forms.DueFilterForm,
            rows=overdue,
            order=_ENTITLEMENT_ORDER,
            row_template="backoffice/_entitlement_rows.html",
            related=("person", "region", "unit"),
            report=_entitlement_sheet("逾期未认证名单"),
            action=AuditAction.EXPORT_OVERDUE,
        ),
        WorkList(
            name="entitlement-list",
            title="养老待遇名单",
            intro="按待遇状态查看：暂停的待遇在本人认证后自动恢复并补发。",
            form=forms.EntitlementFilterForm,
            rows=entitlements,
            order=_ENTITLEMENT_ORDER,
            row_template="backoffice/_entitlement_rows.html",
            related=("person", "region", "unit"),
            report=_entitlement_sheet("养老待遇名单"),
            action=AuditAction.EXPORT_ENTITLEMENTS,
        ),
        WorkList(
            name="certification-list",
            title="认证记录",
            intro="每条认证的方式和认证方；数据比对（静默认证）显示数据来源。",
            form=forms.CertificationFilterForm,
            rows=certifications,
            order=("-certified_at", "-pk"),
            row_template="backoffice/_certification_rows.html",
            related=("person", "region", "unit"),
            report=lambda rows: worklists.certification_report(
                rows.order_by("certified_at", "pk")
            ),
            action=AuditAction.EXPORT_CERTIFICATIONS,
        ),
        WorkList(
            name="case-list",
            title="待办案件",
            intro="待核查的死亡后认证和待处理的人工审核，按登记时间先后排列。",
            form=forms.CaseFilterForm,
            rows=open_cases,
            order=("created_at", "public_id"),
            row_template="backoffice/_case_rows.html",
            report=lambda rows: worklists.case_report(
                rows.order_by("created_at", "public_id")
            ),
            action=AuditAction.EXPORT_CASES,
        ),
        WorkList(
            name="back-pay-list",
            title="补发清单",
            intro="",
            form=forms.BackPayFilterForm,
            rows=back_pays,
            order=("-created_at", "-pk"),
            row_template="",
            report=money.back_pay_report,
            action=AuditAction.EXPORT_BACK_PAY,
            page_template="backoffice/back_pay_list.html",
            related=("suspension_run", "certification"),
            more=_money_totals,
        ),
        WorkList(
            name="overpayment-list",
            title="多发养老金追回",
            intro="",
            form=forms.OverpaymentFilterForm,
            rows=overpayments,
            order=("-created_at", "-pk"),
            row_template="",
            report=money.overpayment_report,
            action=AuditAction.EXPORT_OVERPAYMENTS,
            page_template="backoffice/overpayment_list.html",
            more=_money_totals,
        ),
    ]
}


def search(
    spec: WorkList, user: Any, data: Any, regions: Any
) -> tuple[django_forms.Form, QuerySet[Any], Criteria]:
    """The list's filter form on ``data`` (the query string) and what it
    selects: nothing while the form is invalid."""
    form = spec.form(data or None, regions=regions)
    if form.is_bound and not form.is_valid():
        return form, spec.rows(user, {}).none(), {}
    criteria = form.cleaned_data if form.is_bound else {}
    return form, spec.rows(user, criteria), criteria


def export_list(
    report: Report,
    *,
    action: AuditAction,
    criteria: Criteria,
    acting_user: Any,
    ip: str | None,
) -> IO[bytes]:
    """Write ``report`` to a workbook and audit the export (rows, criteria, file)."""
    handle, rows = write_report_to_tempfile(report)
    audit.record(
        action,
        acting_user=acting_user,
        ip=ip,
        after={
            "rows": rows,
            "criteria": {k: _plain(v) for k, v in criteria.items() if v},
            "file": report.filename,
        },
    )
    return handle


def _plain(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(getattr(value, "code", value))
