"""The shop's currency, changed by its owner while the shop has sold nothing: an order
is kept in the currency it was paid in, and a shop's orders are all in one currency."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Round

from catalog.models import Variant
from orders.models import Order
from shops.currencies import minor_units, validate_currency
from shops.models import Shop
from shops.services import shop_update


def _currency_error(message: str, code: str) -> ValidationError:
    return ValidationError({"currency": ValidationError(message, code=code)})


@transaction.atomic
def shop_currency_change(*, shop: Shop, currency: str) -> Shop:
    """Sell in ``currency`` from now on. Refused (ValidationError on ``currency``) once the
    shop has an order, and while a price has more decimals than the new currency has
    (12.50 cannot become yen). The audit log records the change (``shop_update``)."""
    currency = (currency or "").strip().upper()
    try:
        validate_currency(currency)
    except ValidationError as exc:
        raise _currency_error(" ".join(exc.messages), "invalid") from None
    if currency == shop.currency:
        return shop
    if Order.objects.exists():
        raise _currency_error(
            f"Your shop has orders in {shop.currency}, so its currency can no longer change: "
            "orders, refunds and reports stay in the currency they were paid in.",
            "has_orders",
        )
    places = minor_units(currency)
    uneven = Variant.objects.exclude(price=Round(F("price"), places)).count()
    if uneven:
        raise _currency_error(
            f"{uneven} price(s) have more decimals than {currency} allows ({places}); "
            "change those prices first.",
            "prices_decimals",
        )
    return shop_update(shop=shop, currency=currency)
