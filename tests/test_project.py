"""Project-wide checks."""

from io import StringIO

from django.conf import settings
from django.core.management import call_command


def test_models_and_migrations_agree(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_every_tenant_app_is_installed_and_shops_stay_public():
    assert set(settings.TENANT_APPS) <= set(settings.INSTALLED_APPS)
    assert "shops" in settings.SHARED_APPS and "shops" not in settings.TENANT_APPS
    assert settings.CACHES["default"]["KEY_FUNCTION"] == "django_tenants.cache.make_key"
