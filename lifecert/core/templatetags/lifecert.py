from django import template

from lifecert.core import masking

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
