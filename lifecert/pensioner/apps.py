from django.apps import AppConfig


class Config(AppConfig):
    name = "lifecert.pensioner"
    label = "pensioner"
