"""The subtotal of some lines, as the bag shows it before the checkout (the bag check).

What a checkout costs, shipping, tax and discount included, is ``orders.pricing.
checkout_quote``: buy-now charges its total and the checkout form shows its summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class OrderTotals:
    subtotal: Decimal  # the lines: unit price times quantity, summed
    total: Decimal  # what the shopper pays


def order_totals(*, lines: Sequence[tuple[Decimal, int]]) -> OrderTotals:
    """The totals of ``lines`` given as (unit price, quantity), prices from the catalog."""
    subtotal = sum((price * quantity for price, quantity in lines), Decimal("0.00"))
    return OrderTotals(subtotal=subtotal, total=subtotal)
