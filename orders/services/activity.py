"""An order's timeline: each service that changes an order, or emails its shopper,
records what it did here, in its own transaction."""

from __future__ import annotations

from decimal import Decimal

from orders.models import Order, OrderActivity
from shops.currencies import minor_units, money_format


def order_activity_add(*, order: Order, kind: str, message: str) -> OrderActivity:
    """Add an entry to ``order``'s timeline (``kind`` an ``OrderActivity.Kind``)."""
    return OrderActivity.objects.create(order=order, kind=kind, message=message[:255])


def order_money(order: Order, amount_minor: int) -> str:
    """An amount of ``order``'s currency in minor units, as shoppers read it: "€22.00"."""
    return money_format(Decimal(amount_minor).scaleb(-minor_units(order.currency)), order.currency)
