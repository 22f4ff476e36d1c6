from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo shop and ``make run``: the top of the layers, it seeds every app."""

    name = "shops.demo"
    label = "demo"
    verbose_name = "Demo"
