from django.apps import AppConfig


class OrdersConfig(AppConfig):
    """Buy-now, orders, Stripe payments and stock reservations."""

    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        # Registered at start-up: the beat's ``shops.for_each_shop`` looks the expiry
        # task up by name, also in processes that never imported orders.tasks.
        from orders import tasks  # noqa: F401
