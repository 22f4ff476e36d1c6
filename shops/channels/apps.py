from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """Social platform connections, product feeds and catalog sync."""

    name = "shops.channels"
    label = "channels"
    verbose_name = "Sales channels"
