from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Shoppers' exports and erasures, and the retention beat, in each shop's schema."""

    name = "shops.privacy"
    label = "privacy"
    verbose_name = "Privacy"
    default_auto_field = "django.db.models.BigAutoField"
