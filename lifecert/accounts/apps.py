from django.apps import AppConfig


class Config(AppConfig):
    name = "lifecert.accounts"
    label = "accounts"
