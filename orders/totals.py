"""What an order of some lines costs: the one function that turns lines into a total.

Buy-now charges ``order_totals(...).total`` and the bag shows the same subtotal, so
shipping, tax and discounts plug in here and every surface agrees on the amount."""

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
