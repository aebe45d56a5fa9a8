from typing import Any

from django import forms

from lifecert.registry.access import staff_regions
from lifecert.registry.models import Region

from .models import Scope


class TokenForm(forms.Form):
    system_name = forms.CharField(
        label="调用系统名称", max_length=80, help_text="如 医保就医数据比对系统"
    )
    scopes = forms.MultipleChoiceField(
        label="权限范围", choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    region = forms.ModelChoiceField(
        label="参保地", queryset=Region.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 declared above
        field.queryset = staff_regions(user)
        if user.staff_region_id is None:
            field.empty_label = "全省（所有参保地）"
            field.help_text = "全省令牌可查询和处理所有参保地的数据。"
        else:
            # Regional staff issue tokens for their own region only.
            field.required = True
            field.empty_label = None
