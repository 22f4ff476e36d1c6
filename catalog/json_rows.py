"""Model instances from rows a query returned as JSON (``row_to_json``), so one query can
bring several tables' rows (a ``UNION ALL`` of different tables, rows nested in rows)
where Django would take one query per table.

``json_values`` runs several such reads, each a scalar subquery yielding one JSON value,
as one statement: the shop page reads all its feature sections (poll, reviews wall,
posts) in one query that way.

Decimals keep their exact value (the JSON is parsed with ``parse_float=Decimal``); every
other value goes through its field's ``to_python``. Columns the JSON lacks are left
deferred, as ``.only()`` would.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def json_loads(text: str | None) -> object:
    return None if text is None else json.loads(text, parse_float=Decimal)


def json_values(parts: Sequence[tuple[str, Sequence]]) -> list[object]:
    """Each ``(sql, params)`` part's value, decoded, in one query: every part is a
    ``SELECT`` of at most one row and one JSON column (placeholders ``%s``), run as the
    scalar subqueries of one ``SELECT`` (no row: None)."""
    if not parts:
        return []
    sql = "SELECT " + ", ".join(f"({part_sql})::text" for part_sql, _params in parts)
    params = [param for _sql, part_params in parts for param in part_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return [json_loads(text) for text in row]


def _python(field: models.Field, value: object) -> object:
    if value is None or isinstance(field, models.JSONField):
        return value
    return field.to_python(value)


def model_from_json(model: type[M], data: dict) -> M:
    """An instance of ``model`` as if read from the database, from ``row_to_json`` data."""
    fields = [field for field in model._meta.concrete_fields if field.column in data]
    return model.from_db(
        "default",
        [field.attname for field in fields],
        [_python(field, data[field.column]) for field in fields],
    )


def prefetched_set(instance: models.Model, related_name: str, rows: list) -> None:
    """Make ``instance.<related_name>.all()`` answer ``rows`` without a query, as
    ``prefetch_related`` would have."""
    queryset = getattr(instance, related_name).all()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[related_name] = queryset
