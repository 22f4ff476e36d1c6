from django.apps import AppConfig


class ConsentConfig(AppConfig):
    """Marketing consent per shopper address, in each shop's schema."""

    name = "shops.consent"
    label = "consent"
    verbose_name = "Marketing consent"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # the privacy page says how long data is kept: a new policy retires it
        from shops.consent import receivers  # noqa: F401 (connects them)
