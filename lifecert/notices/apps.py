from django.apps import AppConfig


class Config(AppConfig):
    name = "lifecert.notices"
    label = "notices"
    verbose_name = "门户公告"
