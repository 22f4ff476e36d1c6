"""What reviews does when an order changes (``orders.signals``), connected in
``ReviewsConfig.ready()``; each receiver runs in the transaction of the change."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.dispatch import receiver

from orders.models import Order, OrderLine
from orders.signals import order_fulfilled
from reviews.services import review_requests_schedule


@receiver(order_fulfilled, dispatch_uid="reviews.review_requests_on_fulfilment")
def review_requests_on_fulfilment(
    sender: type[Order], *, order: Order, lines: list[OrderLine] | None = None, **details: Any
) -> str:
    """Ask the buyer for reviews of the items just shipped (``lines``; all the order's
    when not said), later; tells the merchant when."""
    if not review_requests_schedule(order=order, lines=lines):
        return ""
    return "Review requests are due in " + _delay(settings.REVIEWS_REQUEST_DELAY_SECONDS)


def _delay(seconds: int) -> str:
    if seconds >= 86400:
        return f"{round(seconds / 86400, 1):g} day(s)."
    if seconds >= 3600:
        return f"{round(seconds / 3600, 1):g} hour(s)."
    return f"{seconds} second(s)."
