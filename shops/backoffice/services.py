"""Writes of the back office."""

from __future__ import annotations

from shops.backoffice.models import Milestone


def milestone_record(*, key: Milestone.Key) -> None:
    """Record that the merchant reached ``key``; the first time counts, later calls keep it
    (one statement, safe when two tabs do it at once)."""
    Milestone.objects.bulk_create([Milestone(key=key)], ignore_conflicts=True)
