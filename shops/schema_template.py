"""Fast shop schemas: replay the DDL of a template schema kept at the current migrations.

Running every migration for each new shop takes seconds and grows with the project.
Instead, the template schema ``etalage_template`` is migrated once; its tables,
sequences, constraints, indexes, views, comments and rows (content types,
permissions, the migration history) are read back from the PostgreSQL catalog into one
SQL script, stored in ``shops.SchemaTemplate``. Creating a shop then runs that script
inside the signup transaction: one round trip, and rolled back with everything else if
signup fails.

The guard: the script is keyed by a fingerprint of every app's migration files and of
this module, so after a deploy that adds a migration (or changes the generator) the
first shop creation rebuilds the template (``rebuild_shop_template`` does it at once).
"""

from __future__ import annotations

import functools
import hashlib
from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_exists

from shops.models import SchemaTemplate

TEMPLATE_SCHEMA = "etalage_template"
_LOCK_KEY = 0x65746174  # pg_advisory_lock key: one template build at a time


class UnsupportedSchemaObject(RuntimeError):
    """The template holds an object kind the generator does not copy yet (say which)."""


@functools.cache
def migrations_fingerprint() -> str:
    """SHA-256 over this generator and every installed app's migration files, in a stable order."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for app_config in sorted(apps.get_app_configs(), key=lambda config: config.label):
        module_name, _ = MigrationLoader.migrations_module(app_config.label)
        if module_name is None:
            continue
        try:
            module = import_module(module_name)
        except ModuleNotFoundError:
            continue
        for directory in getattr(module, "__path__", []):
            for path in sorted(Path(directory).glob("*.py")):
                digest.update(f"{app_config.label}/{path.name}\n".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


_ddl_cache: dict[str, str] = {}


def template_ddl() -> str:
    """The replay script for the current migrations, building the template if it is stale."""
    fingerprint = migrations_fingerprint()
    ddl = _ddl_cache.get(fingerprint)
    if ddl is None:
        ddl = (
            SchemaTemplate.objects.filter(fingerprint=fingerprint)
            .values_list("ddl", flat=True)
            .first()
        )
        if ddl is None:
            ddl = template_build().ddl
        _ddl_cache[fingerprint] = ddl
    return ddl


def template_build(*, force: bool = False) -> SchemaTemplate:
    """Migrate the template schema afresh and store its replay script.

    Serialised with an advisory lock; a build that finds a current template (made by
    another process while it waited) returns that one unless ``force`` is given.
    """
    fingerprint = migrations_fingerprint()
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_LOCK_KEY])
    try:
        current = SchemaTemplate.objects.filter(fingerprint=fingerprint).first()
        if current is not None and not force and schema_exists(TEMPLATE_SCHEMA):
            return current
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{TEMPLATE_SCHEMA}" CASCADE')
            cursor.execute(f'CREATE SCHEMA "{TEMPLATE_SCHEMA}"')
        call_command(
            "migrate_schemas",
            schema_name=TEMPLATE_SCHEMA,
            tenant=True,
            interactive=False,
            verbosity=0,
        )
        ddl, table_count = generate_ddl(TEMPLATE_SCHEMA)
        SchemaTemplate.objects.exclude(fingerprint=fingerprint).delete()
        template, _ = SchemaTemplate.objects.update_or_create(
            fingerprint=fingerprint, defaults={"ddl": ddl, "table_count": table_count}
        )
        _ddl_cache.clear()
        _ddl_cache[fingerprint] = ddl
        return template
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])


def schema_create_from_template(schema_name: str) -> None:
    """Create ``schema_name`` with every shop table, in the caller's transaction."""
    ddl = template_ddl()
    connection.set_schema(schema_name, include_public=False)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{schema_name}";\n{ddl}')
    finally:
        connection.set_schema_to_public()


# --- Reading a schema back as SQL -------------------------------------------------------

_UNSUPPORTED_QUERIES = {
    "relations other than tables, partitioned tables, sequences, indexes and views": """
        SELECT c.relname || ' (relkind ' || c.relkind::text || ')' FROM pg_class c
        WHERE c.relnamespace = %(ns)s AND c.relkind NOT IN ('r', 'p', 'S', 'i', 'v')""",
    "unlogged tables": """
        SELECT c.relname FROM pg_class c WHERE c.relnamespace = %(ns)s
          AND c.relkind IN ('r', 'p') AND c.relpersistence <> 'p'""",
    "partitions with constraints or indexes of their own": """
        SELECT c.relname FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relispartition
          AND (EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conrelid = c.oid)
               OR EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid))""",
    "types (enums, domains, ranges)": """
        SELECT t.typname FROM pg_type t WHERE t.typnamespace = %(ns)s
          AND t.typtype IN ('e', 'd', 'r', 'm')""",
    "functions and procedures": "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = %(ns)s",
    "triggers": """
        SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal""",
    "row-level security policies": """
        SELECT p.polname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
        WHERE c.relnamespace = %(ns)s""",
    "rules": """
        SELECT r.rulename FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
        WHERE c.relnamespace = %(ns)s AND r.rulename <> '_RETURN'""",
}

_SEQUENCE_OPTIONS = """
    'INCREMENT BY ' || s.seqincrement
    || ' MINVALUE ' || s.seqmin || ' MAXVALUE ' || s.seqmax || ' START WITH ' || s.seqstart
    || ' CACHE ' || s.seqcache || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END"""

_COLUMNS = f"""
    SELECT quote_ident(c.relname), quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
           a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
           CASE WHEN a.attcollation <> t.typcollation
                THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END,
           (SELECT 'SEQUENCE NAME ' || quote_ident(sc.relname) || ' ' || {_SEQUENCE_OPTIONS}
              FROM pg_depend dep JOIN pg_class sc ON sc.oid = dep.objid
              JOIN pg_sequence s ON s.seqrelid = sc.oid
             WHERE dep.refobjid = c.oid AND dep.refobjsubid = a.attnum AND dep.deptype = 'i')
      FROM pg_class c
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      JOIN pg_type t ON t.oid = a.atttypid
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
      LEFT JOIN pg_collation co ON co.oid = a.attcollation
      LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
     WHERE c.relnamespace = %(ns)s AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     ORDER BY c.relname, a.attnum"""

# Partitioned tables (PARTITION BY …) and their partitions, made after every table
_PARTITION_KEYS = """
    SELECT quote_ident(c.relname), pg_get_partkeydef(c.oid) FROM pg_class c
     WHERE c.relnamespace = %(ns)s AND c.relkind = 'p'"""

_PARTITIONS = """
    SELECT quote_ident(c.relname), quote_ident(p.relname), pg_get_expr(c.relpartbound, c.oid)
      FROM pg_class c
      JOIN pg_inherits i ON i.inhrelid = c.oid
      JOIN pg_class p ON p.oid = i.inhparent
     WHERE c.relnamespace = %(ns)s AND c.relispartition
     ORDER BY c.relname"""

_STANDALONE_SEQUENCES = f"""
    SELECT quote_ident(c.relname),
           'AS ' || format_type(s.seqtypid, NULL) || ' ' || {_SEQUENCE_OPTIONS}
      FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
     WHERE c.relnamespace = %(ns)s
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i')
     ORDER BY c.relname"""

_SEQUENCE_OWNERS = """
    SELECT quote_ident(s.relname), quote_ident(t.relname), quote_ident(a.attname)
      FROM pg_depend d
      JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
      JOIN pg_class t ON t.oid = d.refobjid
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
     WHERE s.relnamespace = %(ns)s AND d.deptype = 'a'
     ORDER BY s.relname"""

_SEQUENCES = """
    SELECT quote_ident(c.relname) FROM pg_class c
     WHERE c.relnamespace = %(ns)s AND c.relkind = 'S' ORDER BY c.relname"""

_CONSTRAINTS = """
    SELECT quote_ident(c.relname), quote_ident(con.conname), pg_get_constraintdef(con.oid)
      FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
     WHERE c.relnamespace = %(ns)s AND con.contype IN ('p', 'u', 'c', 'x', 'f')
     ORDER BY con.contype = 'f', c.relname, con.conname"""

# pg_get_indexdef always qualifies the table name; the replay must not, so strip that.
_INDEXES = """
    SELECT replace(pg_get_indexdef(i.indexrelid), ' ON ' || quote_ident(n.nspname) || '.', ' ON ')
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_namespace n ON n.oid = ic.relnamespace
     WHERE ic.relnamespace = %(ns)s
       AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                        WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                          AND con.contype IN ('p', 'u', 'x'))
     ORDER BY ic.relname"""

_VIEWS = """
    SELECT quote_ident(c.relname), pg_get_viewdef(c.oid) FROM pg_class c
     WHERE c.relnamespace = %(ns)s AND c.relkind = 'v' ORDER BY c.oid"""

_COMMENTS = """
    SELECT CASE c.relkind WHEN 'v' THEN 'VIEW ' ELSE 'TABLE ' END || quote_ident(c.relname),
           d.description
      FROM pg_description d
      JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
     WHERE c.relnamespace = %(ns)s AND d.objsubid = 0 AND c.relkind IN ('r', 'v')
    UNION ALL
    SELECT 'COLUMN ' || quote_ident(c.relname) || '.' || quote_ident(a.attname), d.description
      FROM pg_description d
      JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
     WHERE c.relnamespace = %(ns)s AND d.objsubid > 0
     ORDER BY 1"""


def _column_sql(name, type_, not_null, default, identity, generated, collation, identity_options):
    parts = [name, type_]
    if collation:
        parts.append(f"COLLATE {collation}")
    if generated == "s":
        parts.append(f"GENERATED ALWAYS AS ({default}) STORED")
    elif default is not None:
        parts.append(f"DEFAULT {default}")
    if identity:
        kind = "ALWAYS" if identity == "a" else "BY DEFAULT"
        parts.append(f"GENERATED {kind} AS IDENTITY ({identity_options})")
    if not_null:
        parts.append("NOT NULL")
    return " ".join(parts)


def generate_ddl(schema: str) -> tuple[str, int]:
    """The SQL that recreates ``schema`` (objects and rows) in the first schema of search_path.

    Names inside ``schema`` come out unqualified, so the script can be replayed in any
    schema; the generator refuses object kinds it does not copy rather than skip them.
    """
    connection.set_schema(schema, include_public=False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema])
            params = {"ns": cursor.fetchone()[0]}

            problems = []
            for label, query in _UNSUPPORTED_QUERIES.items():
                cursor.execute(query, params)
                names = [row[0] for row in cursor.fetchall()]
                if names:
                    problems.append(f"{label}: {', '.join(sorted(names))}")
            if problems:
                raise UnsupportedSchemaObject(
                    "the shop schema template cannot copy "
                    + "; ".join(problems)
                    + " (extend shops/schema_template.py)"
                )

            statements: list[str] = []
            cursor.execute(_STANDALONE_SEQUENCES, params)
            statements += [f"CREATE SEQUENCE {name} {options};" for name, options in cursor]

            tables: dict[str, list[str]] = {}
            insertable: dict[str, list[str]] = {}
            cursor.execute(_COLUMNS, params)
            for table, column, *rest in cursor.fetchall():
                tables.setdefault(table, []).append(_column_sql(column, *rest))
                if rest[4] != "s":  # generated columns take no values
                    insertable.setdefault(table, []).append(column)
            cursor.execute(_PARTITION_KEYS, params)
            partition_keys = {table: f" PARTITION BY {key}" for table, key in cursor}
            for table, columns in tables.items():
                statements.append(
                    f"CREATE TABLE {table} (\n    "
                    + ",\n    ".join(columns)
                    + f"\n){partition_keys.get(table, '')};"
                )
            cursor.execute(_PARTITIONS, params)
            statements += [
                f"CREATE TABLE {name} PARTITION OF {parent} {bound};"
                for name, parent, bound in cursor
            ]

            for table, columns in insertable.items():
                values = ", ".join(f"quote_nullable({column})" for column in columns)
                cursor.execute(
                    f"SELECT string_agg('(' || concat_ws(', ', {values}) || ')', ',\n' "
                    f"ORDER BY ctid) FROM {table}"
                )
                rows = cursor.fetchone()[0]
                if rows:
                    statements.append(
                        f"INSERT INTO {table} ({', '.join(columns)}) OVERRIDING SYSTEM VALUE "
                        f"VALUES\n{rows};"
                    )

            cursor.execute(_SEQUENCES, params)
            for (sequence,) in cursor.fetchall():
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
                last_value, is_called = cursor.fetchone()
                if is_called:
                    literal = sequence.replace("'", "''")
                    statements.append(f"SELECT setval('{literal}', {last_value}, true);")

            cursor.execute(_CONSTRAINTS, params)
            statements += [
                f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition};"
                for table, name, definition in cursor
            ]
            cursor.execute(_INDEXES, params)
            statements += [f"{definition};" for (definition,) in cursor]
            cursor.execute(_SEQUENCE_OWNERS, params)
            statements += [
                f"ALTER SEQUENCE {sequence} OWNED BY {table}.{column};"
                for sequence, table, column in cursor
            ]
            cursor.execute(_VIEWS, params)
            statements += [f"CREATE VIEW {name} AS {definition}" for name, definition in cursor]
            cursor.execute(_COMMENTS, params)
            statements += [
                f"COMMENT ON {target} IS {_literal(description)};" for target, description in cursor
            ]
    finally:
        connection.set_schema_to_public()

    ddl = "\n".join(statements)
    if f'"{schema}"' in ddl or f"{schema}." in ddl:
        raise UnsupportedSchemaObject(f"the generated DDL still names the schema {schema}")
    return ddl, len(tables)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
