from django.apps import AppConfig


class PostsConfig(AppConfig):
    """Shoppable posts: pictures with tagged products, shown on the shop page."""

    name = "shops.posts"
    label = "posts"
    verbose_name = "Shoppable posts"

    def ready(self) -> None:
        # an order placed from a post's tag is attributed to it (orders.signals)
        from shops.posts import receivers  # noqa: F401 (connects them)
