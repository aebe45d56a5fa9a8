"""认证到期提醒 on the unit side: the letter list of the unit's pensioners due
within 30 days (提醒函名单), for the operator to remind them in person or by post."""

from django.http import HttpResponseBase

from lifecert.accounts.access import AuthenticatedRequest
from lifecert.accounts.models import UnitBinding
from lifecert.certification import cycle
from lifecert.core.methods import require_safe
from lifecert.exports.letters import reminder_letters_report

from . import access
from .views import _xlsx_response, binding_required


@binding_required
@require_safe
def reminder_export(
    request: AuthenticatedRequest, binding: UnitBinding
) -> HttpResponseBase:
    due = cycle.due_within(access.unit_entitlements(binding.unit), cycle.DUE_SOON_DAYS)
    report = reminder_letters_report(due, scope=binding.unit.number)
    return _xlsx_response(
        request,
        binding,
        report,
        "unit_reminders",
        {"due_within_days": cycle.DUE_SOON_DAYS},
    )
