"""API housekeeping on the Celery worker, in the schema of the shop it runs for."""

from __future__ import annotations

from celery import shared_task

from shops.api.idempotency import idempotency_records_expire


@shared_task(name="api.idempotency_expire")
def idempotency_expire() -> int:
    """Forget Idempotency-Key records (partner API and buy-now) older than 24 hours
    (scheduled per shop)."""
    return idempotency_records_expire()
