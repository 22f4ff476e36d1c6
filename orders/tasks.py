"""Order work on the Celery worker, in the schema of the shop that queued it."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="orders.reservations_expire", acks_late=True)
def reservations_expire() -> int:
    """Give back the stock of unpaid orders whose reservation ran out (beat, every shop
    through ``shops.for_each_shop``)."""
    from orders.services import reservations_expire as expire

    return expire()


@shared_task(
    name="orders.order_email",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def order_email(order_id: int, kind: str) -> bool:
    """Send the shopper an order email (confirmation, shipped, refunded)."""
    from orders.services import order_email_send

    return order_email_send(order_id=order_id, kind=kind)
