from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class BackofficeConfig(AppConfig):
    """The back office's own rows (milestones the merchant reached), in the shop's schema."""

    default = True
    name = "shops.backoffice"
    label = "backoffice"
    verbose_name = "Back office"


class BackofficeAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the back office's site as ``admin.site``: every app's
    ``@admin.register`` lands on it unchanged."""

    default = False
    default_site = "shops.backoffice.site.BackOfficeSite"
