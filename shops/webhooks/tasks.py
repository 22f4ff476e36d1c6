"""Webhook work on the Celery worker, always in the schema of the shop that queued it."""

from __future__ import annotations

from celery import shared_task

from shops.webhooks import services
from shops.webhooks.catalog_events import catalog_events_emit


@shared_task(name="webhooks.delivery_attempt", acks_late=True)
def delivery_attempt(delivery_id: int) -> str:
    """One attempt of a delivery (the service schedules the next one if it fails)."""
    delivery = services.delivery_attempt(delivery_id=delivery_id)
    return delivery.status if delivery else "not due"


@shared_task(name="webhooks.deliveries_due", acks_late=True)
def deliveries_due() -> int:
    """Queue due retries (scheduled per shop by ``shops.for_each_shop``)."""
    return services.deliveries_due_queue()


@shared_task(name="webhooks.catalog_events", acks_late=True)
def catalog_events() -> int:
    """Emit product.updated / stock.changed from the catalog outbox (scheduled per shop)."""
    return catalog_events_emit()


@shared_task(name="webhooks.events_prune", acks_late=True)
def events_prune() -> int:
    """Delete events past their retention (scheduled per shop)."""
    return services.events_prune()
