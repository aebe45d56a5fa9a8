from django.apps import AppConfig


class Config(AppConfig):
    name = "lifecert.core"
    label = "core"
