from django import forms

from lifecert.registry.forms import SocialSecurityNumberField

# The guide's two help texts (信息提示), word for word.
NAME_HELP = "此处应输入在社保机构登记的有效姓名,如姓名登记为英文按英文录入"
SSN_HELP = (
    "您好，在开始资格认证前，请先阅读以下内容："
    "一、中国居民，提供18位的二代居民身份证号码。"
    "二、港澳台居民，按照《关于调整港澳台居民在我省参加社会保险时个人编码规则的通知》"
    "（粤人社发[2014]234号）的个人编码规则输入（其中未按照234号文在社保经办机构和地税机关"
    "修改的，仍可按照原登记的社会保障号码输入登录）。"
)


class CertLoginForm(forms.Form):
    """养老待遇资格认证登记: registered name + social security number."""

    name = forms.CharField(
        label="请输入您登记的姓名",
        max_length=60,
        help_text=NAME_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    ssn = SocialSecurityNumberField(
        label="请输入您登记的社会保障号码",
        help_text=SSN_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )


class FamilyAddForm(CertLoginForm):
    """Add a family member to help: the member's registered name and number."""

    name = forms.CharField(label="家人登记的姓名", max_length=60, help_text=NAME_HELP)
    ssn = SocialSecurityNumberField(label="家人登记的社会保障号码")


class ReceiptVerifyForm(forms.Form):
    code = forms.CharField(
        label="单据验证码",
        max_length=40,
        help_text="请输入认证回执上印制的 16 位验证码，或用手机扫描回执上的二维码。",
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).replace("-", "").upper()
