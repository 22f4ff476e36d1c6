from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The partner REST API: API keys, idempotency records, the base viewset and router."""

    name = "shops.api"
    label = "api"
    verbose_name = "API"
