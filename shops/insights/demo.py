"""The demo shop's insights: its paid orders (those behind its verified reviews, made by
``reviews.demo`` without a payment) counted as a payment counts them, so the demo's Home
and Analytics agree with its Orders."""

from __future__ import annotations

from django.db import connection, transaction

from orders.models import Order
from shops.insights.models import Kind
from shops.insights.services import order_paid_insights


@transaction.atomic
def demo_insights_seed() -> int:
    """Count every paid order not counted yet (idempotent); how many were added."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT order_id FROM insights_event WHERE kind = %s AND order_id IS NOT NULL",
            [int(Kind.PAID)],
        )
        counted = [row[0] for row in cursor.fetchall()]
    orders = list(
        Order.objects.filter(paid_at__isnull=False).exclude(pk__in=counted).order_by("paid_at")
    )
    for order in orders:
        order_paid_insights(order)
    return len(orders)
