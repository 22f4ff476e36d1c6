from django.apps import AppConfig


class RetentionConfig(AppConfig):
    """How long a shop keeps what it holds about shoppers, in each shop's schema."""

    name = "shops.retention"
    label = "retention"
    verbose_name = "Data retention"
    default_auto_field = "django.db.models.BigAutoField"
