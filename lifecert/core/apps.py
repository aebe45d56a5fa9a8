from django.apps import AppConfig


class Config(AppConfig):
    name = "lifecert.core"
    label = "core"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from lifecert.core.middleware import start_clock_on_login

        user_logged_in.connect(start_clock_on_login, dispatch_uid="lifecert-clock")
