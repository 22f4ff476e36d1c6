"""Shops are created by replaying the template's DDL; the result must equal a migrated schema."""

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from shops import schema_template
from shops.migration_executor import schemas_with_pending_migrations
from shops.models import SchemaTemplate

SNAPSHOT_QUERIES = {
    "columns": """
        SELECT table_name, column_name,
               -- order, not attnum: a migrated table keeps holes where columns were dropped
               row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position),
               data_type, character_maximum_length,
               numeric_precision, numeric_scale, is_nullable, column_default, is_identity,
               identity_generation, identity_start, identity_increment, is_generated,
               collation_name
          FROM information_schema.columns WHERE table_schema = %(schema)s
         ORDER BY table_name, ordinal_position""",
    "constraints": """
        SELECT cl.relname, con.conname, con.contype,
               replace(pg_get_constraintdef(con.oid), %(schema)s || '.', '')
          FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid
          JOIN pg_namespace n ON n.oid = cl.relnamespace
         WHERE n.nspname = %(schema)s ORDER BY 1, 2""",
    "indexes": """
        SELECT tablename, indexname, replace(indexdef, %(schema)s || '.', '')
          FROM pg_indexes WHERE schemaname = %(schema)s ORDER BY 1, 2""",
    "sequences": """
        SELECT sequence_name, data_type, start_value, minimum_value, maximum_value, increment
          FROM information_schema.sequences WHERE sequence_schema = %(schema)s ORDER BY 1""",
}
DATA_QUERIES = {
    "migrations": "SELECT app, name FROM django_migrations ORDER BY app, name",
    "content types": "SELECT id, app_label, model FROM django_content_type ORDER BY id",
    "permissions": "SELECT id, content_type_id, codename, name FROM auth_permission ORDER BY id",
}


def snapshot(schema: str) -> dict[str, list[tuple]]:
    result = {}
    with connection.cursor() as cursor:
        for name, query in SNAPSHOT_QUERIES.items():
            cursor.execute(query, {"schema": schema})
            result[name] = cursor.fetchall()
    with schema_context(schema), connection.cursor() as cursor:
        for name, query in DATA_QUERIES.items():
            cursor.execute(query)
            result[name] = cursor.fetchall()
        cursor.execute("SELECT nextval('django_content_type_id_seq')")
        result["next content type id"] = cursor.fetchall()
    return result


def test_clone_yields_the_same_schema_as_migrations(db):
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "migrated_check"')
    call_command(
        "migrate_schemas", schema_name="migrated_check", tenant=True, interactive=False, verbosity=0
    )
    schema_template.schema_create_from_template("clone_check")

    migrated, cloned = snapshot("migrated_check"), snapshot("clone_check")

    assert len(migrated["columns"]) > 40  # every shop app's tables are there
    assert {row[0] for row in migrated["columns"]} >= {"accounts_user", "django_session"}
    for part in migrated:
        assert cloned[part] == migrated[part], part


def test_stale_template_is_rebuilt_when_migrations_change(db):
    SchemaTemplate.objects.update(fingerprint="from-an-older-release")
    schema_template._ddl_cache.clear()

    ddl = schema_template.template_ddl()

    template = SchemaTemplate.objects.get()
    assert template.fingerprint == schema_template.migrations_fingerprint()
    assert template.ddl == ddl
    assert "CREATE TABLE accounts_user" in ddl


def test_generator_refuses_objects_it_cannot_copy(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE SCHEMA odd; CREATE TABLE odd.t (id int);"
            "CREATE FUNCTION odd.f() RETURNS int AS 'SELECT 1' LANGUAGE sql;"
        )

    with pytest.raises(
        schema_template.UnsupportedSchemaObject, match="functions and procedures: f"
    ):
        schema_template.generate_ddl("odd")


def test_migrate_schemas_visits_only_schemas_with_pending_migrations(db):
    assert schemas_with_pending_migrations(["shop_alpha", "shop_beta"]) == []

    with schema_context("shop_alpha"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'shops'")
    assert schemas_with_pending_migrations(["shop_alpha", "shop_beta"]) == ["shop_alpha"]

    call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)

    assert schemas_with_pending_migrations(["shop_alpha", "shop_beta"]) == []
