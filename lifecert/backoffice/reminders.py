"""认证到期提醒 for staff. The page is the 30 天内到期 working list (its
提醒短信 column says whether the SMS reached each person); here are the list
for letters (those without a mobile number above all), with the page's own
filters, and the old address of the page."""

from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse

from lifecert.accounts.access import AuthenticatedRequest, staff_required
from lifecert.core.audit_actions import AuditAction
from lifecert.core.methods import require_safe
from lifecert.exports.letters import reminder_letters_report
from lifecert.registry.access import staff_regions

from . import lists
from .list_views import list_download


@staff_required
@require_safe
def reminder_list(request: HttpRequest) -> HttpResponseRedirect:
    """The page that was 认证到期提醒 is the 30 天内到期 list now."""
    query = request.GET.urlencode()
    return HttpResponseRedirect(
        reverse("backoffice:due-list") + (f"?{query}" if query else "")
    )


@staff_required
@require_safe
def reminder_export(request: AuthenticatedRequest) -> HttpResponseBase:
    """The 30 天内到期 list as filtered, as the letters' sheet; audited."""
    _, due, criteria = lists.search(
        lists.LISTS["due-list"], request.user, request.GET, staff_regions(request.user)
    )
    scope = request.user.staff_region.code if request.user.staff_region else "全省"
    report = reminder_letters_report(due, scope=scope)
    return list_download(
        request, report, action=AuditAction.EXPORT_REMINDERS, criteria=criteria
    )
