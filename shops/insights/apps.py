from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Cookieless analytics of one shop: events, rollups, and the numbers read from them."""

    name = "shops.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        # a paid order becomes a "paid" event (orders.signals)
        from shops.insights import receivers  # noqa: F401 (connects them)
