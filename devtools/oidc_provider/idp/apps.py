from django.apps import AppConfig


class Config(AppConfig):
    name = "idp"
    default_auto_field = "django.db.models.BigAutoField"
