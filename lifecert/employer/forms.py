import uuid
from typing import Any

from django import forms

from lifecert.registry.ids import compact

from .access import RosterFilter, Search


class SearchForm(forms.Form):
    """信息查询条件: 姓名 (prefix) and/or 身份证号."""

    name = forms.CharField(label="姓名", max_length=60, required=False)
    ssn = forms.CharField(label="身份证号", max_length=24, required=False)

    def clean_ssn(self) -> str:
        value = compact(self.cleaned_data.get("ssn") or "").upper()
        if value and (len(value) > 18 or not value.isalnum()):
            raise forms.ValidationError("身份证号格式不正确，请输入完整的身份证号。")
        return value

    def search(self) -> Search:
        if not self.is_valid():
            return Search()
        return Search(
            name=self.cleaned_data["name"].strip(), ssn=self.cleaned_data["ssn"]
        )


class SaveForm(SearchForm):
    """保存: the ticked rows, or every row that matches the search."""

    SCOPE_SELECTED = "selected"
    SCOPE_ALL = "all"

    scope = forms.ChoiceField(
        choices=[(SCOPE_SELECTED, "所选人员"), (SCOPE_ALL, "全部符合查询条件的人员")],
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.selected_ids: list[uuid.UUID] = []

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns
        raw = self.data.getlist("selected") if hasattr(self.data, "getlist") else []
        try:
            self.selected_ids = [uuid.UUID(value) for value in raw]
        except (ValueError, TypeError, AttributeError):
            raise forms.ValidationError(
                "所选人员编号无效，未保存任何记录，请刷新页面后重新选择。"
            ) from None
        if data.get("scope") != self.SCOPE_ALL and not self.selected_ids:
            raise forms.ValidationError("请先勾选需要做资格认证的员工。")
        return data

    @property
    def select_all(self) -> bool:
        return self.cleaned_data.get("scope") == self.SCOPE_ALL


class QueryForm(forms.Form):
    """养老退休认证信息查询: 身份证号."""

    ssn = forms.CharField(label="身份证号", max_length=24)

    def clean_ssn(self) -> str:
        value = compact(self.cleaned_data["ssn"]).upper()
        if not value.isalnum() or not 15 <= len(value) <= 18:
            raise forms.ValidationError("请输入完整的身份证号（18 位）。")
        return value


class RosterForm(forms.Form):
    status = forms.ChoiceField(
        label="筛选", choices=RosterFilter.CHOICES, required=False
    )
