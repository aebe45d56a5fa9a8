from django.apps import AppConfig


class Config(AppConfig):
    name = "lifecert.reminders"
    label = "reminders"
    verbose_name = "认证到期提醒"
