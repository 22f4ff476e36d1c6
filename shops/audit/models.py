"""Audit entries: one row per recorded action, never changed once written."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """What ``actor_label`` did (``action``) to which object, when, and for changed
    values the value before and after (``changes``: ``{"price": ["10.00", "12.00"]}``).

    The actor is kept as a label with its kind and id, not as a foreign key: an entry
    outlives the staff account or API key that made it."""

    class ActorKind(models.TextChoices):
        STAFF = "staff", "Staff"
        API_KEY = "api_key", "API key"

    created = models.DateTimeField("when", default=timezone.now, db_index=True)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_id = models.BigIntegerField()
    actor_label = models.CharField("who", max_length=200)
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    object_repr = models.CharField("object", max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit log entries"
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["actor_kind", "actor_id"], name="audit_actor")]

    def __str__(self) -> str:
        return f"{self.actor_label}: {self.action} {self.object_repr}".strip()
