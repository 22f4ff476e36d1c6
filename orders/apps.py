from django.apps import AppConfig


class OrdersConfig(AppConfig):
    """Buy-now, orders, Stripe payments and stock reservations."""

    name = "orders"
    verbose_name = "Orders"
