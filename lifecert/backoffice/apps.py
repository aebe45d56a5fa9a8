from django.apps import AppConfig


class Config(AppConfig):
    name = "lifecert.backoffice"
    label = "backoffice"
