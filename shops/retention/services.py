"""Changing the current shop's retention policy (the owner's settings page)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from shops.audit.services import audit_record
from shops.retention.models import RetentionPolicy

FIELDS = ("abandoned_checkout_days", "order_anonymise_days", "analytics_raw_days")


def retention_policy_stored() -> RetentionPolicy:
    """The shop's saved policy row, made with the defaults the first time."""
    policy = RetentionPolicy.objects.order_by("pk").first()
    return policy or RetentionPolicy.objects.create()


@transaction.atomic
def retention_policy_update(*, policy: RetentionPolicy, **days: Any) -> RetentionPolicy:
    """Save ``days`` (some of ``FIELDS``, validated by the form) on ``policy``, audited
    as ``retention.update`` with each changed value before and after."""
    unknown = set(days) - set(FIELDS)
    if unknown:
        raise TypeError(f"not retention fields: {sorted(unknown)}")
    before = RetentionPolicy.objects.select_for_update().get(pk=policy.pk)
    changes = {
        field: (getattr(before, field), value)
        for field, value in days.items()
        if getattr(before, field) != value
    }
    for field, value in days.items():
        setattr(policy, field, value)
    policy.full_clean()
    policy.save()
    if changes:
        audit_record(action="retention.update", target=policy, changes=changes)
    return policy
