from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    """Social proof: reviews with photos, helpful votes, polls and moderation."""

    name = "reviews"
    verbose_name = "Reviews"
