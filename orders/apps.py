from django.apps import AppConfig


class OrdersConfig(AppConfig):
    """Buy-now, orders, Stripe payments and stock reservations."""

    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        # a custom domain added to a shop is registered for wallets (shops.signals)
        from orders import receivers  # noqa: F401 (connects them)
