"""Staff back office: data-comparison and death-record imports, the review
queue (人工审核) and the audit log."""

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from lifecert.accounts.access import (
    AuthenticatedRequest,
    parse_uuid,
    staff_required,
)
from lifecert.certification import imports as evidence_imports
from lifecert.certification.models import (
    ReviewRequest,
)
from lifecert.certification.services import (
    resolve_review,
)
from lifecert.core.access import audit_events_for_staff
from lifecert.core.audit import client_ip
from lifecert.core.methods import download, require_form, require_safe
from lifecert.core.models import AuditEvent
from lifecert.core.once import submit_once
from lifecert.core.pagination import paginate
from lifecert.exports.xlsx import CONTENT_TYPE as XLSX
from lifecert.registry import imports
from lifecert.registry.access import (
    staff_regions,
)
from lifecert.registry.ids import compact

from . import audit_log, forms

AUDIT_FIELDS = list(forms.AuditSearchForm.base_fields)

_EVIDENCE = {
    "deaths": (
        "导入死亡名单",
        evidence_imports.DEATH_COLUMNS,
        evidence_imports.import_deaths,
    ),
    "comparison": (
        "导入数据比对结果",
        evidence_imports.COMPARISON_COLUMNS,
        evidence_imports.import_comparison,
    ),
}


def _evidence_messages(
    request: AuthenticatedRequest, result: evidence_imports.EvidenceResult
) -> None:
    if result.dry_run:
        messages.info(
            request,
            f"预览（未写入任何数据）：共 {result.rows} 行，将处理 {result.changed}"
            f" 条养老待遇，跳过 {result.skipped} 条（已终止或已有更新的认证）"
            + (f"，{result.overpaid} 条将登记为待追回" if result.overpaid else "")
            + (f"，{result.cases} 条将转死亡后认证核查" if result.cases else "")
            + "。确认无误后取消勾选“仅预览，不写入”并重新上传。",
        )
        return
    messages.success(
        request,
        f"导入成功：共 {result.rows} 行，处理 {result.changed} 条养老待遇，"
        f"跳过 {result.skipped} 条（已终止或已有更新的认证）。",
    )
    if result.overpaid:
        messages.warning(
            request, f"{result.overpaid} 条待遇在死亡后仍有发放，已登记为待追回。"
        )
    if result.cases:
        messages.warning(
            request, f"{result.cases} 条认证记录晚于死亡日期，已转死亡后认证核查。"
        )


@staff_required
@require_form
def evidence_import(request: AuthenticatedRequest, kind: str) -> HttpResponse:
    """Death records (terminate, overpay) and data comparison (silent certification)."""
    if kind not in _EVIDENCE:
        raise Http404
    title, columns, run = _EVIDENCE[kind]
    form = forms.EvidenceImportForm(request.POST or None, request.FILES or None)
    errors: list[tuple[int, str]] = []
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = run(
                form.cleaned_data["file"].read(),
                acting_user=request.user,
                regions=list(staff_regions(request.user)),
                ip=client_ip(request),
                dry_run=form.cleaned_data["preview"],
            )
        except imports.ImportRejected as exc:
            errors = exc.errors
        else:
            _evidence_messages(request, result)
    return render(
        request,
        "backoffice/evidence_import.html",
        {
            "form": form,
            "errors": errors,
            "result": result,
            "columns": columns,
            "title": title,
        },
        status=400 if errors else 200,
    )


@staff_required
@require_safe
def review_queue(request: AuthenticatedRequest) -> HttpResponse:
    """人工审核: cases the camera could not decide, oldest first."""
    requests = (
        ReviewRequest.objects.filter(
            region__in=staff_regions(request.user), status=ReviewRequest.Status.OPEN
        )
        .select_related("person", "region")
        .order_by("created_at")
    )
    return render(
        request, "backoffice/review_queue.html", {"pager": paginate(request, requests)}
    )


@staff_required
@require_POST
def review_close(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """已认证 records a certification (人工审核) and resumes; 不予认证 only closes."""
    review = get_object_or_404(
        ReviewRequest.objects.filter(region__in=staff_regions(request.user)),
        public_id=parse_uuid(public_id),
    )
    with submit_once(request, "backoffice.review") as submit:
        if submit.repeated:
            return submit.answer(request, "该审核已处理。")
        try:
            certification, resumption = resolve_review(
                review=review,
                outcome=request.POST.get("outcome", ""),
                acting_user=request.user,
                ip=client_ip(request),
            )
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("backoffice:review-queue")
        text = "审核已处理。"
        if certification is not None:
            text = "已记录资格认证（人工审核）。"
        if resumption is not None:
            text += (
                f"待遇已恢复，补发 {resumption.months} 个月共 {resumption.amount} 元。"
            )
        messages.success(request, text)
        return submit.done(redirect("backoffice:review-queue"))


def _audit_search(
    request: AuthenticatedRequest,
) -> tuple[forms.AuditSearchForm, QuerySet[AuditEvent]]:
    form = forms.AuditSearchForm(request.GET or None)
    events = audit_events_for_staff(request.user)
    if form.is_bound and not form.is_valid():
        return form, events.none()
    criteria = form.cleaned_data if form.is_bound else {}
    return form, audit_log.filter_events(events, criteria)


@staff_required
@require_form
def audit_list(request: AuthenticatedRequest) -> HttpResponse:
    """审计日志: staff search their region's events (the province: all)."""
    if request.method == "POST":
        # A social security number is searched by POST and replaced by the
        # person's public id, so it never lands in a URL (or an access log).
        params = {k: str(v) for k, v in request.POST.items() if k in AUDIT_FIELDS and v}
        target = params.get("target", "")
        public_id = audit_log.person_public_id(target)
        if public_id is not None:
            params["target"] = public_id
        elif audit_log.ID_LIKE.match(compact(target)):
            params["target"] = "none"
        return redirect(f"{reverse('backoffice:audit-list')}?{urlencode(params)}")
    form, events = _audit_search(request)
    pager = paginate(request, events.order_by("-at", "-id"))
    return render(
        request,
        "backoffice/audit_list.html",
        {
            "form": form,
            "pager": pager,
            "rows": audit_log.readable(pager.page.object_list),
            "export_query": request.GET.urlencode(),
        },
    )


@staff_required
@require_safe
def audit_export(request: AuthenticatedRequest) -> HttpResponseBase:
    """The searched events as .xlsx; the export is itself audited."""
    form, events = _audit_search(request)
    report = audit_log.audit_report(events)
    return download(
        request,
        lambda: audit_log.export_audit(
            report=report,
            criteria=form.cleaned_data if form.is_bound and form.is_valid() else {},
            acting_user=request.user,
            ip=client_ip(request),
        ),
        content_type=XLSX,
        filename=report.filename,
    )
