"""Staff back office: registry import, codes, enrolment, counter certification."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lifecert.accounts.access import (
    AuthenticatedRequest,
    access_account_for_staff,
    parse_uuid,
    staff_required,
)
from lifecert.accounts.models import AuthorizationCode, UnitBinding, User
from lifecert.accounts.services import (
    issue_authorization_code,
    reset_password_at_counter,
    revoke_binding,
)
from lifecert.certification import enrolment
from lifecert.certification import imports as evidence_imports
from lifecert.certification.access import (
    access_death_case,
    access_overpayment,
    access_suspension_run,
    back_pays_for_staff,
    death_cases_for_staff,
    overpayments_for_staff,
    run_entitlements,
    suspension_runs_for_staff,
)
from lifecert.certification.models import (
    DeathAfterCertificationCase,
    Overpayment,
    ReviewRequest,
)
from lifecert.certification.services import (
    SuspensionChanged,
    close_death_case,
    record_certification,
    resolve_review,
    run_suspension,
    set_overpayment_status,
    suspension_preview,
)
from lifecert.core.access import audit_events_for_staff
from lifecert.core.audit import client_ip
from lifecert.core.audit_actions import AuditAction
from lifecert.core.models import AuditEvent
from lifecert.core.once import submit_once
from lifecert.core.pagination import paginate
from lifecert.core.redirects import safe_next
from lifecert.core.searches import keep_search, kept_search
from lifecert.exports import money as money_reports
from lifecert.registry import imports
from lifecert.registry.access import (
    access_person,
    access_unit,
    persons_for_staff,
    staff_regions,
    units_for_staff,
)
from lifecert.registry.ids import compact
from lifecert.registry.models import Entitlement, Region
from lifecert.reminders.models import Reminder

from . import audit_log, dashboard, forms, lists

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AUDIT_FIELDS = list(forms.AuditSearchForm.base_fields)


@staff_required
@require_GET
def index(request: AuthenticatedRequest) -> HttpResponse:
    """Dashboard: figures linked to their lists, and charts (the staff's regions)."""
    return render(request, "backoffice/index.html", dashboard.dashboard(request.user))


@staff_required
@require_http_methods(["GET", "POST"])
def person_list(request: AuthenticatedRequest) -> HttpResponse:
    """参保人 by name or social security number: the search is POSTed and kept in
    the session, so the number never appears in a URL."""
    if request.method == "POST":
        params = keep_search(
            request.session, "backoffice:persons", request.POST, ("q",)
        )
        query = urlencode(params)
        return redirect(
            reverse("backoffice:person-list") + (f"?{query}" if query else "")
        )
    form = forms.SearchForm(kept_search(request, "backoffice:persons") or None)
    people = persons_for_staff(request.user).order_by("id")
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if q:
        people = people.filter(Q(ssn=compact(q)) | Q(name=q))
    return render(
        request,
        "backoffice/person_list.html",
        {"form": form, "pager": paginate(request, people)},
    )


@staff_required
@require_GET
def person_detail(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    person = access_person(request.user, parse_uuid(public_id))
    regions = staff_regions(request.user)
    entitlements = person.entitlements.filter(region__in=regions).select_related(
        "region", "unit"
    )
    return render(
        request,
        "backoffice/person_detail.html",
        {
            "person": person,
            "entitlements": entitlements,
            "certifications": person.certifications.filter(region__in=regions)
            .select_related("region")
            .order_by("-certified_at")[:10],
            "templates": person.face_templates.order_by("-created_at"),
            "back_pays": back_pays_for_staff(request.user)
            .filter(entitlement__person=person)
            .order_by("-created_at"),
            "overpayments": overpayments_for_staff(request.user)
            .filter(entitlement__person=person)
            .order_by("-created_at"),
            "death_cases": death_cases_for_staff(request.user)
            .filter(person=person)
            .order_by("-created_at"),
            "status_choices": Overpayment.Status.choices,
            "photo_form": forms.PhotoForm(),
            "accounts": person.accounts.filter(kind=User.Kind.PERSONAL).order_by("id"),
            "reminders": Reminder.objects.filter(
                entitlement__person=person, region__in=regions
            )
            .select_related("region")
            .order_by("-due_on")[:5],
        },
    )


@staff_required
@require_POST
def person_photo(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    person = access_person(request.user, parse_uuid(public_id))
    form = forms.PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("photo", []):
            messages.error(request, f"建模照片：{error}")
        return redirect("backoffice:person-detail", public_id=person.public_id)
    upload = form.cleaned_data["photo"]
    back = redirect("backoffice:person-detail", public_id=person.public_id)
    # Files are not compared: another photo soon after is a new enrolment.
    with submit_once(request, "backoffice.photo", same_content=False) as submit:
        if submit.repeated:
            return submit.answer(request, "照片已上传，建模结果见本页。")
        try:
            template = enrolment.enrol_photo(
                person=person,
                photo=upload.read(),
                content_type=upload.content_type or "image/jpeg",
                acting_user=request.user,
                ip=client_ip(request),
            )
        except enrolment.EnrolmentRefused as exc:
            messages.error(request, exc.message)
            return back
        if template.status == template.Status.FAILED:
            messages.error(
                request, f"照片已保存，但无法建模：{template.failure_reason}"
            )
        elif template.status == template.Status.READY:
            messages.success(request, "建模成功。")
        else:
            messages.info(request, "照片已保存，人脸引擎就绪后自动建模。")
        return submit.done(back)


@staff_required
@require_POST
def person_certify(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """Record a counter (窗口) or home-visit (上门) certification."""
    person = access_person(request.user, parse_uuid(public_id))
    form = forms.CounterCertificationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择认证方式。")
        return redirect("backoffice:person-detail", public_id=person.public_id)
    entitlement = (
        person.entitlements.filter(
            public_id=form.cleaned_data["entitlement"],
            region__in=staff_regions(request.user),
        )
        .select_related("region")
        .first()
    )
    if entitlement is None:
        messages.error(request, "该养老待遇不存在或不在您的管辖范围。")
        return redirect("backoffice:person-detail", public_id=person.public_id)
    try:
        _, resumption = record_certification(
            entitlement=entitlement,
            channel=form.cleaned_data["channel"],
            acting_user=request.user,
            operator_name=request.user.display_name or request.user.get_username(),
            evidence={"note": form.cleaned_data["note"]},
            ip=client_ip(request),
            once_a_day=True,
        )
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        text = f"已记录 {entitlement.region.name} 的资格认证。"
        if resumption:
            text += (
                f"待遇已恢复，补发 {resumption.months} 个月共 {resumption.amount} 元。"
            )
        messages.success(request, text)
    return redirect("backoffice:person-detail", public_id=person.public_id)


@staff_required
@require_GET
def unit_list(request: AuthenticatedRequest) -> HttpResponse:
    form = forms.SearchForm(request.GET or None)
    units = units_for_staff(request.user).select_related("region").order_by("number")
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if q:
        units = units.filter(Q(number=q) | Q(name__contains=q))
    return render(
        request,
        "backoffice/unit_list.html",
        {"form": form, "pager": paginate(request, units)},
    )


_SESSION_SLIP = "backoffice:code-slip"


@staff_required
@require_http_methods(["GET", "POST"])
def unit_code(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """单位获取授权码 and the unit's bindings: issue or reissue (asking whether
    to unbind), see who is bound, revoke a binding."""
    unit = access_unit(request.user, parse_uuid(public_id))
    existing = AuthorizationCode.objects.filter(unit=unit).first()
    bindings = list(
        UnitBinding.objects.filter(unit=unit).select_related("account").order_by("id")
    )
    form = forms.IssueCodeForm(request.POST or None, bindings=len(bindings))
    if request.method == "POST" and form.is_valid():
        with submit_once(request, "backoffice.unit-code", same_content=False) as submit:
            if submit.repeated:
                return submit.answer(
                    request, "授权码已发放；如未记下，请返回单位页面重新发放。"
                )
            code = issue_authorization_code(
                unit=unit,
                acting_user=request.user,
                unbind_existing=form.unbind_existing(),
                ip=client_ip(request),
            )
            # Shown once, on the next GET (POST-redirect-GET): a reload of the
            # slip shows no code and never issues a new one.
            request.session[_SESSION_SLIP] = {
                "unit": str(unit.public_id),
                "code": code,
            }
            return submit.done(
                redirect("backoffice:unit-code-slip", public_id=unit.public_id)
            )
    return render(
        request,
        "backoffice/unit_code.html",
        {"unit": unit, "existing": existing, "bindings": bindings, "form": form},
    )


@staff_required
@require_GET
def unit_code_slip(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """授权码回执: the new code once; afterwards only the advice to reissue."""
    unit = access_unit(request.user, parse_uuid(public_id))
    slip = request.session.get(_SESSION_SLIP) or {}
    code = None
    if slip.get("unit") == str(unit.public_id):
        code = slip["code"]
        del request.session[_SESSION_SLIP]
    return render(
        request,
        "backoffice/code_slip.html",
        {
            "unit": unit,
            "code": code,
            "auth": AuthorizationCode.objects.filter(unit=unit).first(),
            "now": timezone.now(),
        },
    )


@staff_required
@require_POST
def unit_binding_revoke(
    request: AuthenticatedRequest, public_id: str, binding_id: str
) -> HttpResponse:
    """解除绑定 of one account from a unit the staff member may see."""
    unit = access_unit(request.user, parse_uuid(public_id))
    with submit_once(request, "backoffice.binding-revoke") as submit:
        if submit.repeated:  # the binding is gone: not a 404
            return submit.answer(request, "该绑定已解除。")
        binding = get_object_or_404(
            UnitBinding.objects.select_related("unit", "account"),
            unit=unit,
            public_id=parse_uuid(binding_id),
        )
        revoke_binding(acting_user=request.user, binding=binding, ip=client_ip(request))
        messages.success(
            request, f"已解除账号 {binding.account.get_username()} 与本单位的绑定。"
        )
        return submit.done(redirect("backoffice:unit-code", public_id=unit.public_id))


SESSION_RESET_SLIP = "backoffice:password-slip"
RESET_ONCE = "密码已重置；临时密码只显示一次，如未记下，请返回后重新重置。"


@staff_required
@require_POST
def account_password_reset(
    request: AuthenticatedRequest, public_id: str
) -> HttpResponse:
    """窗口重置密码 of a personal or unit account of the staff member's region,
    after the holder's ID was checked at the counter."""
    account = access_account_for_staff(request.user, parse_uuid(public_id))
    # A double click reset twice, and the slip could show the first password
    # while the second was in force. A second reset on purpose is a new page.
    with submit_once(request, "backoffice.reset", same_content=False) as submit:
        if submit.repeated:
            return submit.answer(request, RESET_ONCE)
        temporary = reset_password_at_counter(
            acting_user=request.user, account=account, ip=client_ip(request)
        )
        # Shown once, on the next GET (POST-redirect-GET), as the code slip.
        request.session[SESSION_RESET_SLIP] = {
            "account": str(account.public_id),
            "password": temporary,
        }
        return submit.done(
            redirect("backoffice:account-password-slip", public_id=account.public_id)
        )


@staff_required
@require_GET
def account_password_slip(
    request: AuthenticatedRequest, public_id: str
) -> HttpResponse:
    """重置密码回执: the temporary password once; afterwards only the advice."""
    account = access_account_for_staff(
        request.user, parse_uuid(public_id), staff_accounts=True
    )
    slip = request.session.get(SESSION_RESET_SLIP) or {}
    password = None
    if slip.get("account") == str(account.public_id):
        password = slip["password"]
        del request.session[SESSION_RESET_SLIP]
    if account.kind == User.Kind.PERSONAL and account.person is not None:
        back = reverse("backoffice:person-detail", args=[account.person.public_id])
    elif account.kind == User.Kind.STAFF:
        back = reverse("backoffice:staff-list")
    else:
        binding = account.bindings.select_related("unit").first()
        back = (
            reverse("backoffice:unit-code", args=[binding.unit.public_id])
            if binding
            else reverse("backoffice:index")
        )
    return render(
        request,
        "backoffice/password_slip.html",
        {"account": account, "password": password, "now": timezone.now(), "back": back},
    )


def _run_region(user: Any) -> Region | None:
    """The region a staff user's suspension run covers; ``None``: all (province)."""
    return user.staff_region if user.staff_region_id is not None else None


def _preview(user: Any) -> QuerySet[Entitlement]:
    region = _run_region(user)
    return suspension_preview(None if region is None else [region.pk])


@staff_required
@require_http_methods(["GET", "POST"])
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
@require_GET
def suspension_preview_export(request: AuthenticatedRequest) -> FileResponse:
    report = money_reports.suspension_report(_preview(request.user), title="拟暂停名单")
    handle = lists.export_list(
        report,
        action=AuditAction.EXPORT_SUSPENSION,
        criteria={"preview": timezone.localdate()},
        acting_user=request.user,
        ip=client_ip(request),
    )
    return FileResponse(
        handle, as_attachment=True, filename=report.filename, content_type=XLSX
    )


@staff_required
@require_GET
def suspension_runs(request: AuthenticatedRequest) -> HttpResponse:
    """暂停批次: every run staff may see, newest first."""
    return render(
        request,
        "backoffice/suspension_runs.html",
        {"pager": paginate(request, suspension_runs_for_staff(request.user))},
    )


@staff_required
@require_GET
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
@require_GET
def suspension_run_export(
    request: AuthenticatedRequest, public_id: str
) -> FileResponse:
    run = access_suspension_run(request.user, parse_uuid(public_id))
    report = money_reports.suspension_report(
        run_entitlements(request.user, run),
        title=f"暂停名单_{run.run_on:%Y%m%d}",
    )
    handle = lists.export_list(
        report,
        action=AuditAction.EXPORT_SUSPENSION,
        criteria={"run": str(run.public_id)},
        acting_user=request.user,
        ip=client_ip(request),
    )
    return FileResponse(
        handle, as_attachment=True, filename=report.filename, content_type=XLSX
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
@require_GET
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
@require_http_methods(["GET", "POST"])
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
@require_GET
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
@require_http_methods(["GET", "POST"])
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
@require_GET
def audit_export(request: AuthenticatedRequest) -> FileResponse:
    """The searched events as .xlsx; the export is itself audited."""
    form, events = _audit_search(request)
    handle, report = audit_log.export_audit(
        events=events,
        criteria=form.cleaned_data if form.is_bound and form.is_valid() else {},
        acting_user=request.user,
        ip=client_ip(request),
    )
    return FileResponse(
        handle, as_attachment=True, filename=report.filename, content_type=XLSX
    )
