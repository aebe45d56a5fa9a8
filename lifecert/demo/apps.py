from django.apps import AppConfig


class Config(AppConfig):
    """Demo data (``seed_demo``) and the test factories: above every other app,
    so that ``core`` imports none of them."""

    name = "lifecert.demo"
    label = "demo"
