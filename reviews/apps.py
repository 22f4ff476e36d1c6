from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    """Social proof: reviews with photos, helpful votes, polls and moderation."""

    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        # a fulfilled order's buyer is asked for reviews (orders.signals.order_fulfilled)
        from reviews import receivers  # noqa: F401 (connects them)
