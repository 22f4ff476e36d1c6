"""``migrate_schemas`` that only visits the schemas with something to apply.

django-tenants runs Django's migrate command once per schema, which costs a fraction of
a second even when nothing is pending: minutes for a thousand shops. Here one query per
batch of schemas reads every ``django_migrations`` table, and only schemas missing a
migration of the current graph are handed to the usual executor (``--executor`` picks
standard or multiprocessing as before). Options that change what migrate does
(a target migration, --fake, --plan, --check, --prune, --run-syncdb) disable the skip.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.migration_executors import get_executor as get_base_executor
from django_tenants.utils import get_public_schema_name

BATCH = 250
_OPTIONS_THAT_NEED_EVERY_SCHEMA = (
    "app_label",
    "migration_name",
    "fake",
    "fake_initial",
    "plan",
    "prune",
    "check_unapplied",
    "run_syncdb",
)


def schemas_with_pending_migrations(schemas: Iterable[str]) -> list[str]:
    """The schemas, in the given order, whose migration history misses a current migration."""
    schemas = list(schemas)
    expected = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'django_migrations' AND table_schema = ANY(%s)",
            [schemas],
        )
        with_history = {row[0] for row in cursor.fetchall()}
        applied: dict[str, set[tuple[str, str]]] = {schema: set() for schema in with_history}
        ordered = [schema for schema in schemas if schema in with_history]
        for start in range(0, len(ordered), BATCH):
            batch = ordered[start : start + BATCH]
            query = " UNION ALL ".join(
                f'SELECT %s, app, name FROM "{schema}".django_migrations' for schema in batch
            )
            cursor.execute(query, batch)
            for schema, app, name in cursor.fetchall():
                applied[schema].add((app, name))
    return [schema for schema in schemas if not expected <= applied.get(schema, set())]


def get_executor(codename: str | None = None) -> type:
    base = get_base_executor(codename)

    class SkipUpToDateExecutor(base):
        def run_migrations(self, tenants=None):
            tenants = list(tenants or [])
            public = get_public_schema_name()
            can_skip = not any(
                self.options.get(option) for option in _OPTIONS_THAT_NEED_EVERY_SCHEMA
            )
            shops = [schema for schema in tenants if schema != public]
            if can_skip and len(shops) > 1:
                pending = schemas_with_pending_migrations(shops)
                skipped = len(shops) - len(pending)
                if skipped and int(self.options.get("verbosity", 1)) >= 1:
                    print(f"migrate_schemas: {skipped} of {len(shops)} shop schemas are up to date")
                tenants = [schema for schema in tenants if schema == public] + pending
            if tenants:
                super().run_migrations(tenants=tenants)

    SkipUpToDateExecutor.__name__ = f"SkipUpToDate{base.__name__}"
    return SkipUpToDateExecutor
