"""Project-wide checks."""

import os
import subprocess
import sys
from io import StringIO

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection

from tests.conftest import PROJECT_ROOT
from tests.services import FAST_PASSWORD_HASHER

PROJECT_PACKAGES = ("config", "shops", "catalog", "orders", "reviews")


def test_models_and_migrations_agree(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def project_apps() -> set[str]:
    """Every Django app in the code: each folder of the project's packages with an apps.py."""
    return {
        ".".join(path.parent.relative_to(PROJECT_ROOT).parts)
        for package in PROJECT_PACKAGES
        for path in (PROJECT_ROOT / package).rglob("apps.py")
    }


def tables_in(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
            [schema],
        )
        return {name for (name,) in cursor.fetchall()}


def test_every_tenant_app_is_installed_and_shops_stay_public(shop_a):
    # given: the apps in the code, and the tables of a shop's schema and of the public one
    in_code = project_apps()
    shop_tables, public_tables = tables_in(shop_a.schema_name), tables_in("public")

    # then: every app of the code is listed; only `shops` is public, the others per shop
    assert in_code - {"shops"} <= set(settings.TENANT_APPS)
    assert "shops" in settings.SHARED_APPS and "shops" not in settings.TENANT_APPS
    assert in_code <= set(settings.INSTALLED_APPS)
    # and every tenant app's tables are in the shop's schema, the shops app's only in public
    # (an entry is an app's module, or the path of its AppConfig: the admin's is the back
    # office's, shops.backoffice.apps.BackofficeAdminConfig)
    configs = {config.name: config for config in apps.get_app_configs()} | {
        f"{type(config).__module__}.{type(config).__name__}": config
        for config in apps.get_app_configs()
    }
    for name in settings.TENANT_APPS:
        for model in configs[name].get_models():
            if model._meta.managed and not model._meta.proxy:
                assert model._meta.db_table in shop_tables, (name, model._meta.db_table)
    for model in configs["shops"].get_models():
        assert model._meta.db_table in public_tables - shop_tables, model._meta.db_table
    assert settings.CACHES["default"]["KEY_FUNCTION"] == "django_tenants.cache.make_key"


def test_the_suite_hashes_passwords_fast_and_the_processes_it_starts_verify_them():
    # given: a password hashed here
    hashed = make_password("plum-orchard")

    # when: a process the tests start (a server, a worker) checks it
    script = (
        "import django, sys; django.setup();"
        "from django.contrib.auth.hashers import check_password;"
        "print(check_password('plum-orchard', sys.argv[1]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, hashed],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # then
    assert settings.PASSWORD_HASHERS[0] == FAST_PASSWORD_HASHER
    assert hashed.startswith("md5$")
    assert result.stdout.strip() == "True", result.stderr
