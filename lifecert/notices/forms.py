from typing import Any

from django import forms
from django.utils import timezone

from lifecert.registry.access import staff_regions
from lifecert.registry.models import Region

from .attachments import ALLOWED_TEXT, max_bytes
from .models import Notice
from .services import NoticeFields

_LOCAL = "%Y-%m-%dT%H:%M"


def _when(label: str, *, required: bool, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=[_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL),
    )


class NoticeForm(forms.Form):
    """发布 / 修改公告. The region choices are the staff member's regions;
    only the province may leave it empty (全省)."""

    category = forms.ChoiceField(label="栏目", choices=Notice.Category.choices)
    title = forms.CharField(label="标题", max_length=120)
    body = forms.CharField(
        label="正文",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="支持 Markdown：## 小标题、**加粗**、- 列表、[链接文字](https://…)、表格；"
        "不显示图片、脚本和样式。",
    )
    region: "forms.ModelChoiceField[Region]" = forms.ModelChoiceField(
        label="发布范围",
        queryset=Region.objects.none(),
        to_field_name="code",
        empty_label="全省",
    )
    publish_at = _when("发布时间", required=True, help_text="到此时间起在门户显示。")
    withdraw_at = _when(
        "撤回时间", required=False, help_text="到此时间起不再显示；留空为长期有效。"
    )
    attachment = forms.FileField(label="附件（可选）", required=False)

    def __init__(
        self, *args: Any, user: Any, notice: Notice | None = None, **kwargs: Any
    ) -> None:
        if notice is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "category": notice.category,
                "title": notice.title,
                "body": notice.body,
                "region": notice.region,
                "publish_at": timezone.localtime(notice.publish_at),
                "withdraw_at": (
                    timezone.localtime(notice.withdraw_at)
                    if notice.withdraw_at
                    else None
                ),
            }
        kwargs.setdefault("initial", {}).setdefault(
            "publish_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)
        region: Any = self.fields["region"]
        region.queryset = staff_regions(user).order_by("code")
        region.required = user.staff_region_id is not None
        if region.required:
            region.initial = user.staff_region
        self.fields[
            "attachment"
        ].help_text = f"{ALLOWED_TEXT}，不超过 {max_bytes() // (1024 * 1024)} MB。"
        if notice is not None and notice.attachment_name:
            self.fields["remove_attachment"] = forms.BooleanField(
                label=f"删除现有附件“{notice.attachment_name}”", required=False
            )

    def notice_fields(self) -> NoticeFields:
        data = self.cleaned_data
        return NoticeFields(
            category=data["category"],
            title=data["title"],
            body=data["body"],
            region=data["region"],
            publish_at=data["publish_at"],
            withdraw_at=data["withdraw_at"],
        )


class NoticeFilterForm(forms.Form):
    """The public list's filters (GET)."""

    category = forms.ChoiceField(
        label="栏目",
        required=False,
        choices=[("", "全部栏目"), *Notice.Category.choices],
    )
    region = forms.ModelChoiceField(
        label="地区",
        required=False,
        queryset=Region.objects.order_by("code"),
        to_field_name="code",
        empty_label="全部地区",
    )
