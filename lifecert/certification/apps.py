from django.apps import AppConfig


class Config(AppConfig):
    name = "lifecert.certification"
    label = "certification"
