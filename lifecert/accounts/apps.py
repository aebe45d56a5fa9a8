from django.apps import AppConfig


class Config(AppConfig):
    name = "lifecert.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Connects the lockout audit receiver before the first lockout.
        from . import lockout  # noqa: F401
