import unicodedata
from typing import Any

from django import forms

from .ids import InvalidNumber, compact, validate_ssn
from .models import Person


class SocialSecurityNumberField(forms.CharField):
    """社会保障号码: GB 11643 or residence permit; legacy codes only when registered."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "社会保障号码")
        kwargs.setdefault("max_length", 18)
        kwargs.setdefault("min_length", 1)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        number = compact(super().clean(value) or "")
        try:
            return validate_ssn(number)
        except InvalidNumber as exc:
            if Person.objects.filter(ssn=number, legacy_code=True).exists():
                return number
            raise forms.ValidationError(exc.message, code=exc.code) from exc


class PhoneField(forms.RegexField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "手机号码")
        super().__init__(
            regex=r"^1[3-9]\d{9}$",
            error_messages={"invalid": "请输入 11 位手机号码。"},
            **kwargs,
        )


# Letters of any script, their combining marks, spaces and the marks names
# carry: the middle dots of minority and foreign names (·・•), a hyphen, an
# apostrophe, a full stop.
NAME_MARKS = frozenset(" ·・•-'.")


class PersonNameField(forms.CharField):
    """A person's name as typed: letters, not digits, emoji or symbols."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 60)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        name = " ".join((super().clean(value) or "").split())
        if name and not all(
            unicodedata.category(ch)[0] in "LM" or ch in NAME_MARKS for ch in name
        ):
            raise forms.ValidationError(
                f"{self.label or '姓名'}只能包含汉字、字母和间隔号（·），"
                "请按身份证上的姓名填写。",
                code="name",
            )
        return name
