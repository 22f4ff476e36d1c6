from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit log of staff and API-key actions, in each shop's schema."""

    name = "shops.audit"
    label = "audit"
    verbose_name = "Audit log"
    default_auto_field = "django.db.models.BigAutoField"
