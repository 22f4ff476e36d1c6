"""What the insights do when an order is paid (``orders.signals.order_paid``), connected
in ``InsightsConfig.ready()``; the receiver runs in the transaction of the payment."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.dispatch import receiver
from django.utils import timezone

from orders.models import Order
from orders.signals import order_paid
from shops.currencies import minor_units
from shops.insights.services import order_paid_record
from shops.posts.models import PostOrderAttribution

logger = logging.getLogger(__name__)


@receiver(order_paid, dispatch_uid="insights.order_paid_record")
def order_paid_event(sender: type[Order], *, order: Order, **details: Any) -> None:
    """Record the paid order as events (one INSERT; three small reads before it). In a
    savepoint: counting a sale never costs it, a failure here is logged and skipped."""
    try:
        with transaction.atomic():
            _record(order)
    except DatabaseError:
        logger.exception("insights: order %s paid but not recorded", order.pk)


def _record(order: Order) -> None:
    paid_at = order.paid_at or timezone.now()
    scale = minor_units(order.currency)
    lines = [
        (product_id, int(total.scaleb(scale)))
        for product_id, total in order.lines.values_list("product_id", "line_total")
    ]
    attribution = (
        PostOrderAttribution.objects.filter(order_id=order.pk).values_list("post_id", "created")
    ).first()
    is_returning = (
        Order.objects.filter(email__iexact=order.email, paid_at__lt=paid_at)
        .exclude(pk=order.pk)
        .exists()
    )
    order_paid_record(
        order_id=order.pk,
        public_id=order.public_id.hex,
        paid_at=paid_at,
        amount_minor=order.amount_minor,
        utm_source=order.utm_source,
        lines=lines,
        post_touch=attribution,
        is_returning=is_returning,
    )
