"""Password validators (AUTH_PASSWORD_VALIDATORS) that refuse in Chinese."""

from django.contrib.auth.password_validation import MinimumLengthValidator
from django.utils.translation import ngettext


class MinimumLength(MinimumLengthValidator):
    """Django's minimum length, with the message its translations know.

    Django 5.2 builds the error with a ``%d`` message id while the zh-hans
    catalogue translates the ``%(min_length)d`` one, so the refusal showed in
    English; this asks for the translated id.
    """

    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d "
            "character.",
            "This password is too short. It must contain at least %(min_length)d "
            "characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
