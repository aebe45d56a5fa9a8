from typing import Any

from django import forms
from django.contrib.auth import password_validation

from lifecert.registry.forms import (
    PersonNameField,
    PhoneField,
    SocialSecurityNumberField,
)

from .models import User
from .services import OperatorInfo

NAME_HELP = "此处应输入在社保机构登记的有效姓名，如姓名登记为英文按英文录入"


class PasswordPairMixin(forms.Form):
    """A new password twice, checked by AUTH_PASSWORD_VALIDATORS against the
    account it is for (``password_user``: not too like its username or name)."""

    password1 = forms.CharField(label="密码", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(
        label="确认密码", widget=forms.PasswordInput, strip=False
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "两次输入的密码不一致。")
        elif first:
            try:
                password_validation.validate_password(first, self.password_user())
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data

    def password_user(self) -> User | None:
        return None


class PersonalRegisterForm(PasswordPairMixin):
    name = forms.CharField(label="姓名", max_length=60, help_text=NAME_HELP)
    ssn = SocialSecurityNumberField()
    phone = PhoneField()
    field_order = ["name", "ssn", "phone", "password1", "password2"]

    def password_user(self) -> User:
        # The account register_personal will create: its username is the number.
        data = self.cleaned_data
        return User(
            username=data.get("ssn") or "",
            display_name=data.get("name") or "",
            phone=data.get("phone") or "",
        )


class LoginForm(forms.Form):
    username = forms.CharField(label="账号", max_length=150)
    password = forms.CharField(label="密码", widget=forms.PasswordInput, strip=False)


class PersonalLoginForm(LoginForm):
    username = SocialSecurityNumberField()


class UnitRegisterForm(PasswordPairMixin):
    username = forms.RegexField(
        label="账号名",
        # A letter first: a personal account's name is its social security
        # number (digits), so a unit account can never take a pensioner's.
        regex=r"^[A-Za-z][A-Za-z0-9_]{3,29}$",
        error_messages={
            "invalid": "账号名为 4 至 30 位字母、数字或下划线，须以字母开头"
            "（不能用身份证号码作账号名）。"
        },
    )
    field_order = ["username", "password1", "password2"]

    def password_user(self) -> User:
        return User(username=self.cleaned_data.get("username") or "")


class OperatorForm(forms.Form):
    operator_name = PersonNameField(label="经办人姓名")
    operator_phone = PhoneField(label="经办人手机号码")
    operator_id_number = SocialSecurityNumberField(label="经办人身份证号码")

    def operator(self) -> OperatorInfo:
        return OperatorInfo(
            name=self.cleaned_data["operator_name"].strip(),
            phone=self.cleaned_data["operator_phone"],
            id_number=self.cleaned_data["operator_id_number"],
        )


class BindCodeForm(OperatorForm):
    unit_number = forms.RegexField(
        label="单位编号",
        regex=r"^[0-9A-Za-z]{4,20}$",
        error_messages={"invalid": "单位编号为 4 至 20 位数字或字母。"},
    )
    code = forms.CharField(label="授权码", max_length=40)
    field_order = [
        "unit_number",
        "code",
        "operator_name",
        "operator_phone",
        "operator_id_number",
    ]


class UnitLinkForm(forms.Form):
    """统一身份认证 on first use: the unit's authorization code finds the
    existing unit account the identity is linked to."""

    unit_number = BindCodeForm.base_fields["unit_number"]
    code = BindCodeForm.base_fields["code"]


class BindOldAccountForm(OperatorForm):
    old_username = forms.CharField(label="旧账号", max_length=150)
    old_password = forms.CharField(
        label="旧账号密码", widget=forms.PasswordInput, strip=False
    )
    field_order = [
        "old_username",
        "old_password",
        "operator_name",
        "operator_phone",
        "operator_id_number",
    ]


class ChangePasswordForm(PasswordPairMixin):
    old_password = forms.CharField(
        label="原密码", widget=forms.PasswordInput, strip=False
    )
    field_order = ["old_password", "password1", "password2"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():
            # No password yet, or it was retired when 统一身份认证 was linked:
            # the person is logged in through the provider and sets one.
            del self.fields["old_password"]

    def password_user(self) -> User:
        return self.user


class ReclaimStartForm(forms.Form):
    """人脸认证找回: who the number belongs to, as at registration."""

    name = forms.CharField(label="姓名", max_length=60, help_text=NAME_HELP)
    ssn = SocialSecurityNumberField()


class ReclaimFinishForm(PasswordPairMixin):
    phone = PhoneField()
    field_order = ["phone", "password1", "password2"]

    def __init__(self, *args: Any, person_user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person_user = person_user

    def password_user(self) -> User:
        self.person_user.phone = self.cleaned_data.get("phone") or ""
        return self.person_user
