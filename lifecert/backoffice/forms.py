from django import forms

from lifecert.certification.models import Channel


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）")


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
