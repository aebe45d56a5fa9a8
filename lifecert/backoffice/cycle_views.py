"""Staff back office: the suspension run (preview, confirmation, report),
overpayment status and the death-after-certification cases."""

from typing import Any

from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lifecert.accounts.access import (
    AuthenticatedRequest,
    parse_uuid,
    staff_required,
)
from lifecert.certification.access import (
    access_death_case,
    access_overpayment,
    access_suspension_run,
    death_cases_for_staff,
    run_entitlements,
    suspension_runs_for_staff,
)
from lifecert.certification.models import (
    DeathAfterCertificationCase,
)
from lifecert.certification.services import (
    SuspensionChanged,
    close_death_case,
    run_suspension,
    set_overpayment_status,
    suspension_preview,
)
from lifecert.core.audit import client_ip
from lifecert.core.audit_actions import AuditAction
from lifecert.core.methods import require_form, require_safe
from lifecert.core.once import submit_once
from lifecert.core.pagination import paginate
from lifecert.core.redirects import safe_next
from lifecert.exports import money as money_reports
from lifecert.registry.models import Entitlement, Region

from . import forms
from .list_views import list_download


def _run_region(user: Any) -> Region | None:
    """The region a staff user's suspension run covers; ``None``: all (province)."""
    return user.staff_region if user.staff_region_id is not None else None


def _preview(user: Any) -> QuerySet[Entitlement]:
    region = _run_region(user)
    return suspension_preview(None if region is None else [region.pk])


@staff_required
@require_form
def run_suspensions(request: AuthenticatedRequest) -> HttpResponse:
    """暂停逾期未认证: the preview (who, by region and unit), then one confirmation."""
    if request.method == "POST":
        form = forms.SuspensionConfirmForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请先查看暂停名单，再确认执行。")
            return redirect("backoffice:run-suspensions")
        with submit_once(request, "backoffice.suspend") as submit:
            if submit.repeated:
                return submit.answer(request, "本次暂停已执行，结果如下。")
            try:
                run = run_suspension(
                    acting_user=request.user,
                    region=_run_region(request.user),
                    expected=form.cleaned_data["expected"],
                    ip=client_ip(request),
                )
            except SuspensionChanged as exc:
                messages.error(
                    request,
                    f"名单已变化（预览 {exc.expected} 人，现为 {exc.found} 人），"
                    "请核对后重新确认。",
                )
                return redirect("backoffice:run-suspensions")
            if run is None:
                messages.info(request, "没有需要暂停的养老待遇。")
                return submit.done(redirect("backoffice:suspension-runs"))
            messages.success(request, f"已暂停 {run.count} 条逾期未认证的养老待遇。")
            return submit.done(
                redirect("backoffice:suspension-run", public_id=run.public_id)
            )
    preview = _preview(request.user)
    total = preview.count()
    return render(
        request,
        "backoffice/suspension_preview.html",
        {
            "total": total,
            "today": timezone.localdate(),
            "by_region": preview.values("region__name")
            .annotate(n=Count("id"))
            .order_by("region__code"),
            "by_unit": preview.values("unit__number", "unit__name")
            .annotate(n=Count("id"))
            .order_by("-n", "unit__number")[:50],
            "pager": paginate(
                request,
                preview.select_related("person", "region", "unit").order_by(
                    "region__code", "unit__number", "pk"
                ),
                count=total,
            ),
            "form": forms.SuspensionConfirmForm(initial={"expected": total}),
        },
    )


@staff_required
@require_safe
def suspension_preview_export(request: AuthenticatedRequest) -> HttpResponseBase:
    report = money_reports.suspension_report(_preview(request.user), title="拟暂停名单")
    return list_download(
        request,
        report,
        action=AuditAction.EXPORT_SUSPENSION,
        criteria={"preview": timezone.localdate()},
    )


@staff_required
@require_safe
def suspension_runs(request: AuthenticatedRequest) -> HttpResponse:
    """暂停批次: every run staff may see, newest first."""
    return render(
        request,
        "backoffice/suspension_runs.html",
        {"pager": paginate(request, suspension_runs_for_staff(request.user))},
    )


@staff_required
@require_safe
def suspension_run(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    run = access_suspension_run(request.user, parse_uuid(public_id))
    entitlements = run_entitlements(request.user, run)
    return render(
        request,
        "backoffice/suspension_run.html",
        {
            "run": run,
            "pager": paginate(
                request,
                entitlements.select_related("person", "region", "unit").order_by(
                    "region__code", "unit__number", "pk"
                ),
            ),
        },
    )


@staff_required
@require_safe
def suspension_run_export(
    request: AuthenticatedRequest, public_id: str
) -> HttpResponseBase:
    run = access_suspension_run(request.user, parse_uuid(public_id))
    report = money_reports.suspension_report(
        run_entitlements(request.user, run),
        title=f"暂停名单_{run.run_on:%Y%m%d}",
    )
    return list_download(
        request,
        report,
        action=AuditAction.EXPORT_SUSPENSION,
        criteria={"run": str(run.public_id)},
    )


@staff_required
@require_POST
def overpayment_status(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """追回状态: 待追回 → 已追回 or 核销 (or back, to correct a mistake)."""
    overpayment = access_overpayment(request.user, parse_uuid(public_id))
    form = forms.OverpaymentStatusForm(request.POST)
    back = redirect(safe_next(request, reverse("backoffice:overpayment-list")))
    if not form.is_valid():
        messages.error(request, "请选择追回状态。")
        return back
    # A status may be set back and again (a mistake corrected): only the
    # page's own value counts.
    with submit_once(request, "backoffice.overpayment", same_content=False) as submit:
        if submit.repeated:
            return submit.answer(request, "追回状态已更新。")
        try:
            set_overpayment_status(
                overpayment=overpayment,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                acting_user=request.user,
                ip=client_ip(request),
            )
        except ValueError as exc:
            messages.error(request, str(exc))
            return back
        messages.success(request, "追回状态已更新。")
        return submit.done(back)


@staff_required
@require_safe
def death_case_list(request: AuthenticatedRequest) -> HttpResponse:
    """死亡后认证核查: certifications dated after a recorded death."""
    status = request.GET.get("status", DeathAfterCertificationCase.Status.OPEN)
    cases = death_cases_for_staff(request.user)
    if status in DeathAfterCertificationCase.Status.values:
        cases = cases.filter(status=status)
    return render(
        request,
        "backoffice/death_case_list.html",
        {
            "status": status,
            "status_choices": DeathAfterCertificationCase.Status.choices,
            "pager": paginate(request, cases.order_by("-created_at", "-pk")),
        },
    )


@staff_required
@require_POST
def death_case_close(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    case = access_death_case(request.user, parse_uuid(public_id))
    with submit_once(request, "backoffice.death-case") as submit:
        if submit.repeated:
            return submit.answer(request, "核查已办结。")
        try:
            close_death_case(case=case, acting_user=request.user, ip=client_ip(request))
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("backoffice:death-case-list")
        messages.success(request, "核查已办结。")
        return submit.done(redirect("backoffice:death-case-list"))
