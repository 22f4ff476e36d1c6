"""Writing the audit log: ``audit_record``, called by the services where a change is made."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from shops.audit.actors import current_actor
from shops.audit.models import AuditEntry


def _plain(value: Any) -> Any:
    """A value as JSON keeps it and a person reads it: amounts as written ("12.50")."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal | date | datetime):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    return str(value)


def audit_record(
    *,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: object = "",
    object_repr: str = "",
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    note: str = "",
) -> AuditEntry | None:
    """Record that the current actor did ``action`` (``"variant.price"``,
    ``"order.refund"``, ``"settings.payments"``) to ``target`` (or the object named by
    ``object_type``/``object_id``/``object_repr``), with ``changes`` as ``{field:
    (before, after)}``. One INSERT, in the caller's transaction (it commits or rolls
    back with the change). Nothing is recorded, and None returned, when no staff
    account or API key is acting."""
    actor = current_actor()
    if actor is None:
        return None
    if target is not None:
        object_type = object_type or target._meta.model_name
        object_id = object_id or target.pk
        object_repr = object_repr or str(target)
    return AuditEntry.objects.create(
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:200],
        action=action,
        object_type=object_type[:40],
        object_id=str(object_id if object_id is not None else "")[:40],
        object_repr=object_repr[:200],
        changes={
            field: [_plain(before), _plain(after)]
            for field, (before, after) in (changes or {}).items()
        },
        note=note[:300],
    )
