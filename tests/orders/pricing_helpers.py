"""Helpers of the pricing tests: items to put in a bag, and a shop's shipping rules."""

from __future__ import annotations

import itertools
from decimal import Decimal

from catalog.models import Variant
from catalog.services import VariantInput
from orders import services
from orders.models import ShippingRate, ShippingZone
from tests.factories import ProductFactory

_skus = itertools.count(1)


def item(price: str, *, grams: int | None = None, physical: bool = True) -> Variant:
    """A variant of a new active product (physical unless said), with its product."""
    product = ProductFactory(
        requires_shipping=physical,
        variants=[
            VariantInput(
                sku=f"ITEM-{next(_skus)}", price=Decimal(price), stock=50, weight_grams=grams
            )
        ],
    )
    return Variant.objects.select_related("product").get(product=product)


def zone_with_rates(name: str, countries: list[str], *rates: dict) -> ShippingZone:
    zone = services.shipping_zone_create(name=name, countries=countries)
    for rate in rates:
        services.shipping_rate_create(zone=zone, **rate)
    return zone


def rate_named(name: str) -> ShippingRate:
    return ShippingRate.objects.get(name=name)
