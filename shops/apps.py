from django.apps import AppConfig


class ShopsConfig(AppConfig):
    """Tenancy: shops and their domains in the public schema, signup and platform pages."""

    name = "shops"
    verbose_name = "Shops"
