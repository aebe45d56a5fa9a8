import uuid
from typing import Any

from django import forms

from lifecert.registry.ids import compact

from .access import EMPTY_INCOMPLETE_ID, RosterFilter, RosterSort, Search


class SearchForm(forms.Form):
    """信息查询条件: 姓名 (prefix) and/or 身份证号 (the whole number)."""

    name = forms.CharField(label="姓名", max_length=60, required=False)
    ssn = forms.CharField(label="身份证号", max_length=24, required=False)

    def clean_ssn(self) -> str:
        value = compact(self.cleaned_data.get("ssn") or "").upper()
        # A masked number copied from a list (4306**********203X) or a partial one
        # would only ever find nobody: say so instead of an empty list.
        if value and (len(value) != 18 or not value.isalnum()):
            raise forms.ValidationError(EMPTY_INCOMPLETE_ID)
        return value

    def search(self) -> Search:
        if not self.is_valid():
            return Search()
        return Search(
            name=self.cleaned_data["name"].strip(), ssn=self.cleaned_data["ssn"]
        )


class SelectForm(SearchForm):
    """The list form: this page's ticks, then 翻页, 清空已选 or 保存.

    ``shown`` is the signed list of the rows the page displayed; the view
    accepts ticks only among them.
    """

    ACTION_SAVE = "save"
    ACTION_CLEAR = "clear"
    ACTION_KEEP = "keep"

    shown = forms.CharField(widget=forms.HiddenInput)
    action = forms.ChoiceField(
        choices=[(ACTION_SAVE, "保存"), (ACTION_CLEAR, "清空已选"), (ACTION_KEEP, "")],
        required=False,
    )
    goto = forms.IntegerField(min_value=1, required=False)
    scope = forms.ChoiceField(
        choices=[("selected", "所选人员"), ("all", "全部符合查询条件的人员")],
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ticked: set[str] = set()

    def clean(self) -> dict[str, Any]:
        super().clean()
        raw = self.data.getlist("selected") if hasattr(self.data, "getlist") else []
        try:
            self.ticked = {str(uuid.UUID(value)) for value in raw}
        except (ValueError, TypeError, AttributeError):
            raise forms.ValidationError(
                "所选人员编号无效，未保存任何记录，请刷新页面后重新选择。"
            ) from None
        return self.cleaned_data

    @property
    def select_all(self) -> bool:
        return self.cleaned_data.get("scope") == "all"


class ConfirmForm(forms.Form):
    """确认认证: the one-time token of the confirmation page."""

    token = forms.CharField(max_length=64)


class QueryForm(forms.Form):
    """养老退休认证信息查询: 身份证号."""

    ssn = forms.CharField(label="身份证号", max_length=24)

    def clean_ssn(self) -> str:
        value = compact(self.cleaned_data["ssn"]).upper()
        if not value.isalnum() or not 15 <= len(value) <= 18:
            raise forms.ValidationError("请输入完整的身份证号（18 位）。")
        return value


class RosterForm(SearchForm):
    """花名册: a name prefix or whole ID number, a filter, and the order."""

    status = forms.ChoiceField(
        label="筛选", choices=RosterFilter.CHOICES, required=False
    )
    sort = forms.ChoiceField(label="排序", choices=RosterSort.CHOICES, required=False)

    def choice(self, name: str) -> str:
        """A valid ``status`` or ``sort``, kept when another field is wrong."""
        if not self.is_bound:
            return ""
        self.is_valid()
        return str(self.cleaned_data.get(name) or "")
