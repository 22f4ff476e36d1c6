from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks: subscriptions, events, signed deliveries and their attempts."""

    name = "shops.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
