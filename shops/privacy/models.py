"""The log of shoppers' data requests: one row per export or erasure, by the shopper
(from their emailed link) or by staff (a support request in the back office)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class DataRequest(models.Model):
    """One export or erasure, done. The shopper is kept as a keyed hash of their email
    (``email_hash``: the same address finds its requests again, the address itself is
    not kept, not even after an erasure) and a masked hint a person can recognise
    (``a…@example.com``). ``summary`` counts what was exported or erased, by kind."""

    class Kind(models.TextChoices):
        EXPORT = "export", "Export"
        ERASURE = "erasure", "Erasure"

    class RequestedBy(models.TextChoices):
        SHOPPER = "shopper", "The shopper (emailed link)"
        STAFF = "staff", "Staff (support request)"

    class Status(models.TextChoices):
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed, nothing changed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    requested_by = models.CharField(max_length=10, choices=RequestedBy.choices)
    staff_label = models.CharField("staff member", max_length=200, blank=True)
    email_hash = models.CharField(max_length=64, db_index=True, editable=False)
    email_hint = models.CharField("shopper", max_length=120)
    status = models.CharField(max_length=10, choices=Status.choices)
    summary = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField("requested", default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "privacy request"
        verbose_name_plural = "privacy requests"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.email_hint}"
