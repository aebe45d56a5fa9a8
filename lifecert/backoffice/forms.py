from typing import Any

from django import forms

from lifecert.certification.models import Channel, Overpayment
from lifecert.core.audit_actions import AuditAction
from lifecert.registry.models import Region


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）")


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

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "month"}))
        super().__init__(**kwargs)


def _limit_regions(field: Any, regions: Any) -> None:
    """Offer only the staff's regions, chosen by code (no row ids in URLs)."""
    field.queryset = regions if regions is not None else Region.objects.none()
    field.to_field_name = "code"


class BackPayFilterForm(forms.Form):
    run = forms.UUIDField(label="暂停批次", required=False, widget=forms.HiddenInput)
    month = MonthField(label="恢复月份", required=False)
    region = forms.ModelChoiceField(
        label="参保地",
        required=False,
        queryset=Region.objects.none(),
        empty_label="全部",
    )

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit_regions(self.fields["region"], regions)


class OverpaymentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="追回状态",
        required=False,
        choices=[("", "全部"), *Overpayment.Status.choices],
    )
    region = forms.ModelChoiceField(
        label="参保地",
        required=False,
        queryset=Region.objects.none(),
        empty_label="全部",
    )

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit_regions(self.fields["region"], regions)


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
