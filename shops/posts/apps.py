from django.apps import AppConfig


class PostsConfig(AppConfig):
    """Shoppable posts: pictures with tagged products, shown on the shop page."""

    name = "shops.posts"
    label = "posts"
    verbose_name = "Shoppable posts"
