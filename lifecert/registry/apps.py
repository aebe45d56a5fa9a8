from django.apps import AppConfig


class Config(AppConfig):
    name = "lifecert.registry"
    label = "registry"
