"""The working lists' pages and exports: one view each for every list in
``lists.LISTS`` (the URL names the list)."""

from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse

from lifecert.accounts.access import AuthenticatedRequest, staff_required
from lifecert.core.audit import client_ip
from lifecert.core.audit_actions import AuditAction
from lifecert.core.methods import download, require_safe
from lifecert.core.pagination import paginate
from lifecert.exports.xlsx import CONTENT_TYPE as XLSX
from lifecert.exports.xlsx import Report
from lifecert.registry.access import staff_regions

from . import lists


@staff_required
@require_safe
def work_list(request: AuthenticatedRequest, name: str) -> HttpResponse:
    """A working list: its filters, the count, one page of rows, the export link."""
    spec = lists.LISTS[name]
    form, rows, criteria = lists.search(
        spec, request.user, request.GET, staff_regions(request.user)
    )
    page_rows = rows.order_by(*spec.order)
    if spec.related:
        page_rows = page_rows.select_related(*spec.related)
    pager = paginate(request, page_rows)
    if spec.on_page is not None:
        pager.page.object_list = list(pager.page.object_list)
        spec.on_page(pager.page.object_list)
    context = {
        "spec": spec,
        "form": form,
        "pager": pager,
        "export_url": reverse(f"backoffice:{spec.export_name}"),
        "export_query": request.GET.urlencode(),
    }
    if spec.more is not None:
        context.update(spec.more(request.user, rows, criteria))
    return render(request, spec.page_template, context)


@staff_required
@require_safe
def work_list_export(request: AuthenticatedRequest, name: str) -> HttpResponseBase:
    """The list as filtered, as .xlsx; the export is audited with its criteria."""
    spec = lists.LISTS[name]
    _, rows, criteria = lists.search(
        spec, request.user, request.GET, staff_regions(request.user)
    )
    return list_download(
        request, spec.report(rows), action=spec.action, criteria=criteria
    )


def list_download(
    request: AuthenticatedRequest,
    report: Report,
    *,
    action: AuditAction,
    criteria: lists.Criteria,
) -> HttpResponseBase:
    """``report`` as an .xlsx download, the export audited with its criteria
    (``lists.export_list``); a HEAD gets the headers and writes nothing."""
    return download(
        request,
        lambda: lists.export_list(
            report,
            action=action,
            criteria=criteria,
            acting_user=request.user,
            ip=client_ip(request),
        ),
        content_type=XLSX,
        filename=report.filename,
    )
