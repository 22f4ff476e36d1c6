"""What the insights do when an order is paid (``orders.signals.order_paid``), connected
in ``InsightsConfig.ready()``; the receiver runs in the transaction of the payment."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.dispatch import receiver

from orders.models import Order
from orders.signals import order_paid
from shops.insights.services import order_paid_insights

logger = logging.getLogger(__name__)


@receiver(order_paid, dispatch_uid="insights.order_paid_record")
def order_paid_event(sender: type[Order], *, order: Order, **details: Any) -> None:
    """Record the paid order as events (one INSERT; three small reads before it). In a
    savepoint: counting a sale never costs it, a failure here is logged and skipped."""
    try:
        with transaction.atomic():
            order_paid_insights(order)
    except DatabaseError:
        logger.exception("insights: order %s paid but not recorded", order.pk)
