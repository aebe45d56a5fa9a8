from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "lifecert.api"
    label = "api"
    verbose_name = "系统接口"
