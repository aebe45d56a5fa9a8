from django import template
from django.utils.html import format_html

from lifecert.core import masking, once

register = template.Library()


@register.filter
def mask_id(value: str) -> str:
    return masking.mask_id(value)


@register.filter
def mask_name(value: str) -> str:
    return masking.mask_name(value)


@register.filter
def mask_phone(value: str) -> str:
    return masking.mask_phone(value)


@register.simple_tag
def once_field() -> str:
    """The hidden one-time value that makes a second submit of the form harmless
    (``lifecert.core.once``)."""
    return format_html(
        '<input type="hidden" name="{}" value="{}">', once.FIELD, once.new_value()
    )
