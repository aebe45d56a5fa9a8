"""Filters of the working lists' rows: the cycle's due date, who vouched for a
certification, what an open case is about (the same words as the exports)."""

import datetime
from typing import Any

from django import template

from lifecert.certification import cycle
from lifecert.exports import worklists

register = template.Library()


@register.filter
def due_date(entitlement: Any) -> datetime.date | None:
    return cycle.due_date_of(entitlement)


@register.filter
def certification_source(certification: Any) -> str:
    unit = certification.unit.number if certification.unit_id else None
    return worklists.source_of(
        certification.channel,
        certification.operator_name,
        unit,
        certification.evidence,
    )


@register.filter
def case_kind(kind: str) -> str:
    return worklists.CASE_KINDS.get(kind, kind)


@register.filter
def case_detail(case: dict[str, Any]) -> str:
    return worklists.case_detail(
        case["kind"], case["death_date"], case["channel"], case["reason"]
    )
