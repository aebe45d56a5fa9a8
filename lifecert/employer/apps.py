from django.apps import AppConfig


class Config(AppConfig):
    name = "lifecert.employer"
    label = "employer"
