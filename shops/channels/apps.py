from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """Social platform connections, product feeds and catalog sync."""

    name = "shops.channels"
    label = "channels"
    verbose_name = "Sales channels"

    def ready(self) -> None:
        # a catalog change queues the push syncs once it commits (catalog.outbox)
        from shops.channels import receivers  # noqa: F401 (connects them)
