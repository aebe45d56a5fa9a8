"""Django's password rules with every message in Chinese.

Django 5.2's zh_Hans catalogue lacks some of the rewritten messages (the
minimum length one is shown in English), so each rule says its own words here
and no user ever meets an English sentence. The checking stays Django's.
"""

from django.contrib.auth import password_validation


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return f"密码太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少需要 {self.min_length} 个字符。"


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def get_error_message(self) -> str:
        return "这个密码太常见，容易被猜到，请换一个。"

    def get_help_text(self) -> str:
        return "密码不能是常见的密码（如 12345678、88888888）。"


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    def get_error_message(self) -> str:
        return "密码不能全是数字，请加入字母或符号。"

    def get_help_text(self) -> str:
        return "密码不能全是数字。"


class UserAttributeSimilarityValidator(
    password_validation.UserAttributeSimilarityValidator
):
    def get_error_message(self) -> str:
        return "密码与您的账号信息太相似，请换一个。"

    def get_help_text(self) -> str:
        return "密码不能与您的姓名、账号等信息太相似。"
