"""Counting a paid order in the insights (``order_paid_insights``): what the receiver of
``orders.signals.order_paid`` and the demo's seed both call."""

from __future__ import annotations

from datetime import UTC

from django.utils import timezone

from orders.models import Order
from shops.currencies import minor_units
from shops.insights.services.events import checkout_visitor_take, order_paid_record
from shops.posts.models import PostOrderAttribution


def order_paid_insights(order: Order) -> None:
    """Record ``order``, paid, as events: its amount, its lines' products, whether the
    shopper had paid before, the post it is attributed to, and the visitor its buy-now
    kept that day (three small reads and the taking of that visitor, then one INSERT)."""
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
        visitor=checkout_visitor_take(order_id=order.pk, day=paid_at.astimezone(UTC).date()),
    )
