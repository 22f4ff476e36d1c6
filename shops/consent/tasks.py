"""Consent work on the Celery worker, in the schema of the shop that queued it."""

from __future__ import annotations

from celery import shared_task

from shops.consent import services


@shared_task(
    name="consent.confirmation_send",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def confirmation_send(consent_id: int) -> bool:
    """Email the double opt-in link of a pending consent."""
    return services.consent_confirmation_send(consent_id=consent_id)
