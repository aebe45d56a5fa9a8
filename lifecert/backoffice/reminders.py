"""认证到期提醒 for staff: who in their regions falls due within 30 days, by
region and unit, whether the SMS reached them, and the list for letters
(those without a mobile number above all)."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from lifecert.accounts.access import AuthenticatedRequest, staff_required
from lifecert.certification import cycle
from lifecert.core.audit import client_ip
from lifecert.core.audit_actions import AuditAction
from lifecert.core.pagination import paginate
from lifecert.exports.letters import REMINDER_LABELS, reminder_letters_report
from lifecert.registry.access import staff_regions
from lifecert.registry.models import Entitlement, Region
from lifecert.reminders.services import reminders_of

from .lists import export_list

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReminderFilterForm(forms.Form):
    region = forms.ModelChoiceField(
        label="参保地",
        required=False,
        queryset=Region.objects.none(),
        empty_label="全部",
    )
    unit = forms.CharField(label="单位编号", max_length=20, required=False)

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["region"]
        field.queryset, field.to_field_name = regions, "code"


def _search(
    request: AuthenticatedRequest,
) -> tuple[ReminderFilterForm, QuerySet[Entitlement], dict[str, Any]]:
    regions = staff_regions(request.user)
    form = ReminderFilterForm(request.GET or None, regions=regions)
    due = cycle.due_within(
        Entitlement.objects.filter(region__in=regions), cycle.DUE_SOON_DAYS
    )
    if form.is_bound and not form.is_valid():
        return form, due.none(), {}
    criteria = form.cleaned_data if form.is_bound else {}
    if region := criteria.get("region"):
        due = due.filter(region=region)
    if unit := criteria.get("unit", "").strip():
        due = due.filter(unit__number=unit)
    return form, due, criteria


@staff_required
@require_GET
def reminder_list(request: AuthenticatedRequest) -> HttpResponse:
    form, due, _ = _search(request)
    pager = paginate(
        request,
        due.select_related("person", "region", "unit").order_by(
            "region__code", "unit__number", "pk"
        ),
    )
    rows = list(pager.page.object_list)
    sent = reminders_of([e.pk for e in rows])
    today = timezone.localdate()
    for entitlement in rows:
        entitlement.next_due = cycle.due_date_of(entitlement)
        entitlement.due_in = cycle.due_soon_days(entitlement, today)
        status = sent.get((entitlement.pk, entitlement.next_due))
        entitlement.reminder = REMINDER_LABELS[status] if status else "未发送"
    return render(
        request,
        "backoffice/reminder_list.html",
        {
            "form": form,
            "pager": pager,
            "rows": rows,
            "days": cycle.DUE_SOON_DAYS,
            "export_query": request.GET.urlencode(),
        },
    )


@staff_required
@require_GET
def reminder_export(request: AuthenticatedRequest) -> FileResponse:
    _, due, criteria = _search(request)
    scope = request.user.staff_region.code if request.user.staff_region else "全省"
    report = reminder_letters_report(due, scope=scope)
    handle = export_list(
        report,
        action=AuditAction.EXPORT_REMINDERS,
        criteria=criteria,
        acting_user=request.user,
        ip=client_ip(request),
    )
    return FileResponse(
        handle, as_attachment=True, filename=report.filename, content_type=XLSX
    )
