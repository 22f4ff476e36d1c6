"""Privacy work on the Celery worker, in the schema of the shop that queued it."""

from __future__ import annotations

from celery import shared_task

from shops.privacy import services
from shops.tasks import MAIL_RETRY


@shared_task(name="privacy.link_email", max_retries=5, **MAIL_RETRY)
def link_email(email: str, shop_address: str) -> bool:
    """Send a shopper their "My data" link (when the shop holds data about them)."""
    return services.privacy_link_send(email=email, shop_address=shop_address)


@shared_task(name="privacy.retention_apply", acks_late=True)
def retention_apply() -> dict[str, int]:
    """Apply the shop's retention policy (beat, daily, every shop)."""
    return services.retention_apply()
