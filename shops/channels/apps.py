from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """Social platform connections, product feeds and catalog sync."""

    name = "shops.channels"
    label = "channels"
    verbose_name = "Sales channels"

    def ready(self) -> None:
        from catalog.outbox import outbox_listener_add
        from shops.channels.services import syncs_queue_on_commit

        # a catalog change queues the push sync once it commits
        outbox_listener_add(syncs_queue_on_commit)
