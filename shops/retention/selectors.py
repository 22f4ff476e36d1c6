"""Reading the current shop's retention policy."""

from __future__ import annotations

from shops.retention.models import RetentionPolicy


def retention_policy() -> RetentionPolicy:
    """The current shop's policy: its saved row, or an unsaved one with the defaults."""
    return RetentionPolicy.objects.order_by("pk").first() or RetentionPolicy()
