from typing import Any

from django import forms

from lifecert.certification.models import Channel, Overpayment
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.models import Entitlement, Region


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        error_messages={
            "required": "请选择要上传的 Excel 文件（.xlsx）。",
            "empty": "上传的文件是空的（0 字节）。请在 Excel 中打开确认有数据，"
            "另存为 .xlsx 后重新上传。",
        },
    )


class EvidenceImportForm(ImportForm):
    preview = forms.BooleanField(
        label="仅预览，不写入",
        required=False,
        initial=True,
        help_text="先预览将处理的条数；确认无误后取消勾选并重新上传。",
    )


class PhotoForm(forms.Form):
    photo = forms.ImageField(
        label="建模照片",
        error_messages={
            "empty": "上传的照片是空的（0 字节），请重新拍摄或选择照片后上传。"
        },
        help_text="正面免冠、光线均匀、五官清晰的近期照片，JPEG 或 PNG，不超过 10 MB。",
    )


class CounterCertificationForm(forms.Form):
    entitlement = forms.UUIDField(widget=forms.HiddenInput)
    channel = forms.ChoiceField(
        label="认证方式",
        choices=[(Channel.COUNTER, "窗口"), (Channel.HOME_VISIT, "上门")],
    )
    note = forms.CharField(label="备注", max_length=200, required=False)


class SearchForm(forms.Form):
    q = forms.CharField(label="姓名或社会保障号码", max_length=40, required=False)


class AuditSearchForm(forms.Form):
    date_from = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    action = forms.ChoiceField(
        label="操作", required=False, choices=[("", "全部"), *AuditAction.choices]
    )
    actor = forms.CharField(label="操作人（账号）", max_length=150, required=False)
    target = forms.CharField(
        label="对象（社会保障号码、单位编号或编号）", max_length=64, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("起始日期不能晚于截止日期。")
        return data


class MonthField(forms.DateField):
    """A month as YYYY-MM (the browser's month input); the first day of it."""

    input_formats = ["%Y-%m"]
    default_error_messages = {"invalid": "请按“年-月”填写，例如 2026-12。"}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "month"}))
        super().__init__(**kwargs)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class ListFilterForm(forms.Form):
    """The filters every working list shares: region (the staff's own only;
    the province chooses among all), unit number, and a date range on the
    list's own date column (``date_label``; ``None``: the list has none)."""

    date_label: str | None = None

    region = forms.ModelChoiceField(
        label="参保地",
        required=False,
        queryset=Region.objects.none(),
        empty_label="全部",
    )
    unit = forms.CharField(label="单位编号", max_length=20, required=False)
    date_from = forms.DateField(label="起始日期", required=False, widget=_date_input())
    date_to = forms.DateField(label="截止日期", required=False, widget=_date_input())

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)  # noqa: S101 declared above
        # Chosen by code: no row ids in URLs.
        region.queryset = regions if regions is not None else Region.objects.none()
        region.to_field_name = "code"
        if self.date_label is None:
            del self.fields["date_from"], self.fields["date_to"]
        else:
            self.fields["date_from"].label = f"{self.date_label}（起）"
            self.fields["date_to"].label = f"{self.date_label}（止）"

    def clean_unit(self) -> str:
        return str(self.cleaned_data.get("unit") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("起始日期不能晚于截止日期，请重新选择。")
        return data


class DueFilterForm(ListFilterForm):
    """30 天内到期 and 已逾期: by region and unit (the due date is the cycle's)."""


class EntitlementFilterForm(ListFilterForm):
    date_label = "状态起始日期"

    status = forms.ChoiceField(
        label="待遇状态",
        required=False,
        choices=[("", "全部"), *Entitlement.Status.choices],
    )
    certified = MonthField(label="最近一次认证月份", required=False)


class CertificationFilterForm(ListFilterForm):
    date_label = "认证日期"

    channel = forms.ChoiceField(
        label="认证方式", required=False, choices=[("", "全部"), *Channel.choices]
    )


class CaseFilterForm(ListFilterForm):
    date_label = "登记日期"

    kind = forms.ChoiceField(
        label="类别",
        required=False,
        choices=[("", "全部"), ("death", "死亡后认证核查"), ("review", "人工审核")],
    )


class BackPayFilterForm(ListFilterForm):
    date_label = "恢复日期"

    run = forms.UUIDField(label="暂停批次", required=False, widget=forms.HiddenInput)
    month = MonthField(label="恢复月份", required=False)


class OverpaymentFilterForm(ListFilterForm):
    date_label = "登记日期"

    status = forms.ChoiceField(
        label="追回状态",
        required=False,
        choices=[("", "全部"), *Overpayment.Status.choices],
    )


class OverpaymentStatusForm(forms.Form):
    status = forms.ChoiceField(label="追回状态", choices=Overpayment.Status.choices)
    note = forms.CharField(label="说明", max_length=200, required=False)


class SuspensionConfirmForm(forms.Form):
    expected = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class IssueCodeForm(forms.Form):
    """单位获取授权码. With accounts bound to the unit, staff must say whether
    the new code also unbinds them (a reissue after an operator left should)."""

    unbind = forms.TypedChoiceField(
        label="该单位已绑定的账号",
        choices=[
            ("keep", "保留现有绑定（只作废原授权码）"),
            ("unbind", "同时解除现有绑定（原经办人不能再办理该单位业务）"),
        ],
        coerce=lambda value: value == "unbind",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, bindings: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not bindings:
            del self.fields["unbind"]

    def unbind_existing(self) -> bool:
        return bool(self.cleaned_data.get("unbind", False))
