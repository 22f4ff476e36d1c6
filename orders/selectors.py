"""Reads of the orders app."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet

from catalog.models import Product, Variant
from orders.models import Order

MAX_ROW_ID = 2**63 - 1


def is_row_id(value: object) -> bool:
    """Whether ``value`` can be a row's id (a bigint above 0): anything else would be a
    database error, not a "no such row"."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID


def order_for_shopper(*, public_id: str, client_secret: str) -> Order | None:
    """The order, if ``client_secret`` is its payment's secret (what the shopper's page
    holds: no cookie or login needed). One query."""
    try:
        uuid.UUID(public_id)
    except ValueError:
        return None
    order = Order.objects.filter(public_id=public_id).first()
    if order is None or not order.client_secret:
        return None
    if not hmac.compare_digest(order.client_secret.encode(), client_secret.encode()):
        return None
    return order


def orders_for_admin() -> QuerySet[Order]:
    return Order.objects.all()


@dataclass(frozen=True)
class CheckoutItem:
    variant: Variant
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return self.variant.price * self.quantity


def checkout_parse(products: str) -> list[tuple[int, int]]:
    """``<variant id>:<quantity>,…`` (the form Meta's checkout on website sends) as
    pairs; an unreadable item is left out, a missing quantity is 1."""
    pairs: list[tuple[int, int]] = []
    for item in products.split(",")[: settings.ORDERS_MAX_LINES]:
        variant, _, quantity = item.strip().partition(":")
        try:
            pair = (int(variant), int(quantity or 1))
        except ValueError:
            continue
        if is_row_id(pair[0]):
            pairs.append(pair)
    return pairs


def checkout_items(pairs: list[tuple[int, int]]) -> list[CheckoutItem]:
    """The items of a checkout link that can be bought: active products' variants, in
    the link's order (one query). Quantities are checked again by buy-now."""
    variants = Variant.objects.select_related("product").filter(
        id__in=[variant_id for variant_id, _ in pairs], product__status=Product.Status.ACTIVE
    )
    by_id = {variant.id: variant for variant in variants}
    return [
        CheckoutItem(by_id[variant_id], quantity)
        for variant_id, quantity in pairs
        if variant_id in by_id and quantity > 0
    ]
