from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks: subscriptions, events, signed deliveries and their attempts."""

    name = "shops.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # the domain's order, review and channel signals become webhook events
        from shops.webhooks import receivers  # noqa: F401 (connects them)
