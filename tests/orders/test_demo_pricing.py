"""The demo shop's pricing rules (orders.demo.demo_pricing_seed, run by seed_demo): the
banner's "Free shipping on orders over €50" is a rule, WELCOME10 takes 10 % off, and a
second seed adds nothing."""

from decimal import Decimal

from django.db import connection

from orders.demo import demo_pricing_seed
from orders.models import Discount, ShippingRate, ShippingZone, TaxRate
from orders.pricing import checkout_quote
from tests.orders.pricing_helpers import item


def test_the_demo_ships_free_over_50_and_takes_its_welcome_code(shop_a):
    connection.set_tenant(shop_a)

    # when seeded twice
    added = demo_pricing_seed()
    again = demo_pricing_seed()

    # then the second seed adds nothing
    assert added > 0
    assert again == 0
    counts = (ShippingZone.objects.count(), ShippingRate.objects.count(), TaxRate.objects.count())
    assert counts == (3, 4, 7)
    assert Discount.objects.get().code == "WELCOME10"

    # and a French order of 2 x 30.00 ships free with Colissimo, VAT included, 10 % off
    lines = [(item("30.00"), 2)]
    colissimo = ShippingRate.objects.get(name__startswith="Colissimo")
    quote = checkout_quote(
        lines=lines, country="FR", shipping_rate_id=colissimo.pk, discount_code="welcome10"
    )
    assert (quote.shipping, quote.discount, quote.total, quote.tax_name) == (
        Decimal("0.00"),
        Decimal("6.00"),
        Decimal("54.00"),
        "VAT",
    )
    # under 50.00 it costs 4.90
    small = checkout_quote(lines=[(item("20.00"), 1)], country="FR", shipping_rate_id=colissimo.pk)
    assert small.shipping == Decimal("4.90")
