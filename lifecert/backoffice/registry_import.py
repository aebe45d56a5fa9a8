"""导入参保数据: upload, preview (created / changed old → new / left alone), confirm.

Nothing is written until the confirmation, which writes exactly what the
preview showed (``lifecert.registry.import_plan``) or shows the new preview
when the registry changed in between.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lifecert.accounts.access import AuthenticatedRequest, parse_uuid, staff_required
from lifecert.core.audit import client_ip
from lifecert.core.methods import download, require_form, require_safe
from lifecert.core.once import Submission, submit_once
from lifecert.core.pagination import paginate
from lifecert.exports.xlsx import CONTENT_TYPE as XLSX
from lifecert.registry import imports
from lifecert.registry.access import staff_regions
from lifecert.registry.import_plan import KINDS, PlanChanged, preview_registry
from lifecert.registry.import_write import confirm_registry

from . import forms, pending_imports
from .models import PendingImport

# An error list longer than this shows its first rows and says how many more.
ERRORS_SHOWN = 200


def _upload_page(
    request: AuthenticatedRequest,
    form: forms.ImportForm,
    errors: list[tuple[int, str]],
) -> HttpResponse:
    return render(
        request,
        "backoffice/import.html",
        {
            "form": form,
            "errors": errors[:ERRORS_SHOWN],
            "errors_total": len(errors),
            "columns": imports.COLUMNS,
            "optional_columns": imports.OPTIONAL_COLUMNS,
            "example_ssn": imports.EXAMPLE_SSN,
        },
        status=400 if errors else 200,
    )


@staff_required
@require_form
def upload(request: AuthenticatedRequest) -> HttpResponse:
    """Check the file and keep it for the preview; nothing is written."""
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    errors: list[tuple[int, str]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            plan = preview_registry(data, regions=list(staff_regions(request.user)))
        except imports.ImportRejected as exc:
            errors = exc.errors
        else:
            token = pending_imports.save(
                data, user=request.user, plan=plan, file_name=upload.name
            )
            return redirect("backoffice:import-preview", token)
    return _upload_page(request, form, errors)


def _pending(request: AuthenticatedRequest, token: object) -> PendingImport:
    found = pending_imports.load(parse_uuid(token), request.user)
    if found is None:
        raise Http404("导入预览不存在或已过期")
    return found


@staff_required
@require_safe
def preview(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """What the upload would create, change and leave alone, paged by kind."""
    pending = _pending(request, token)
    show = request.GET.get("show", "")
    rows = (
        [r for r in pending.rows if r["kind"] == show]
        if show in KINDS
        else (pending.rows)
    )
    return render(
        request,
        "backoffice/import_preview.html",
        {
            "pending": pending,
            "counts": pending.counts,
            "pager": paginate(request, rows),
            "show": show if show in KINDS else "",
            "kinds": KINDS.items(),
        },
    )


@staff_required
@require_POST
def confirm(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """Write what the preview showed, or show the preview again if it changed.

    A repeat of a done confirmation (its upload is gone) lands on the upload
    page with 已提交过, not on a missing preview."""
    with submit_once(request, "backoffice.import-confirm") as submit:
        if submit.repeated:
            return submit.answer(request, "该文件已导入。")
        return _confirm(request, token, submit)


def _confirm(
    request: AuthenticatedRequest, token: str, submit: Submission
) -> HttpResponse:
    pending = _pending(request, token)
    if request.POST.get("fingerprint") != pending.fingerprint or not (
        pending_imports.claim(pending)
    ):
        messages.warning(request, "预览已更新或正在导入，请核对下面的内容。")
        return redirect("backoffice:import-preview", pending.token)
    try:
        result = confirm_registry(
            pending_imports.data(pending),
            acting_user=request.user,
            regions=list(staff_regions(request.user)),
            fingerprint=pending.fingerprint,
            ip=client_ip(request),
        )
    except PlanChanged as exc:
        pending_imports.release(pending, exc.plan)
        messages.warning(
            request,
            "预览之后参保数据已有变化，尚未导入。请核对更新后的预览，再确认导入。",
        )
        return redirect("backoffice:import-preview", pending.token)
    except imports.ImportRejected as exc:
        pending_imports.discard(pending)
        messages.error(request, "预览之后参保数据已有变化，文件未导入：")
        return _upload_page(request, forms.ImportForm(), exc.errors)
    pending_imports.discard(pending)
    counts = result.counts
    messages.success(
        request,
        f"导入成功：共 {counts['rows']} 行，新增 {counts['create']} 条养老待遇、"
        f"修改 {counts['change']} 条、{counts['same']} 条不变；新增单位 "
        f"{counts['units_created']} 个，迁移认证记录 {counts['certifications']} 条。",
    )
    return submit.done(redirect("backoffice:import"))


@staff_required
@require_safe
def template(request: AuthenticatedRequest) -> HttpResponseBase:
    return download(
        request,
        imports.template_workbook,
        content_type=XLSX,
        filename="registry-template.xlsx",
    )
