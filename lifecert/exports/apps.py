from django.apps import AppConfig


class Config(AppConfig):
    name = "lifecert.exports"
    label = "exports"
