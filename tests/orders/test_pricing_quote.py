"""What a checkout costs (orders.pricing.checkout_quote): lines, shipping by zone, weight
and order value, free shipping over a threshold, tax included in the prices or added at
checkout, discount codes, rounding to the currency's minor units, and the message each
bad input gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from orders import services
from orders.models import ShippingZone
from orders.pricing import checkout_quote, money_round, prices_include_tax, shipping_rates_for
from tests.factories import OrderFactory, ShopFactory
from tests.orders.pricing_helpers import item, rate_named, zone_with_rates

D = Decimal


@pytest.fixture
def alpha(shop_a):
    """Shop alpha (EUR) as the active shop, shipping to France at 4.90 (free from 50.00)
    and taxing it at 20 %."""
    connection.set_tenant(shop_a)
    zone_with_rates("France", ["FR"], {"name": "Colissimo", "price": "4.90", "free_over": "50"})
    services.tax_rate_create(country="FR", rate="20", name="TVA")
    return shop_a


@pytest.fixture
def bag(alpha):
    """2 x 19.99 and 1 x 5.00: 44.98."""
    return [(item("19.99", grams=300), 2), (item("5.00", grams=100), 1)]


def errors_of(raised: pytest.ExceptionInfo) -> dict[str, list[tuple[str, str]]]:
    """{field: [(code, message)]} of a ValidationError."""
    return {
        field: [(error.code, message) for error in errors for message in error.messages]
        for field, errors in raised.value.error_dict.items()
    }


# --- Arithmetic -----------------------------------------------------------------------


def test_tax_added_at_checkout_is_computed_per_line_and_on_shipping(bag):
    services.tax_settings_set(prices_include_tax=False)
    colissimo = rate_named("Colissimo")

    quote = checkout_quote(lines=bag, country="fr", shipping_rate_id=colissimo.pk)

    assert (quote.subtotal, quote.shipping, quote.discount) == (D("44.98"), D("4.90"), D("0.00"))
    assert [line.tax for line in quote.lines] == [D("8.00"), D("1.00")]  # 7.996, 1.00
    assert quote.shipping_tax == D("0.98")
    assert quote.tax == D("9.98")
    assert quote.total == D("59.86")  # 44.98 + 4.90 + 9.98
    assert quote.total_minor == 5986
    assert (quote.tax_name, quote.tax_rate, quote.country) == ("TVA", D("20.000"), "FR")
    assert quote.prices_include_tax is False


def test_tax_included_in_the_prices_is_shown_and_not_added(bag):
    services.tax_settings_set(prices_include_tax=True)

    quote = checkout_quote(lines=bag, country="FR", shipping_rate_id=rate_named("Colissimo").pk)

    assert [line.tax for line in quote.lines] == [D("6.66"), D("0.83")]  # 39.98/6, 5/6
    assert quote.shipping_tax == D("0.82")  # 4.90 / 6 = 0.8166…
    assert quote.tax == D("8.31")
    assert quote.total == D("49.88")  # 44.98 + 4.90, tax inside


def test_a_euro_shop_shows_prices_with_tax_until_it_says_otherwise(alpha):
    assert prices_include_tax() is True

    services.tax_settings_set(prices_include_tax=False)

    assert prices_include_tax() is False


def test_a_dollar_shop_adds_tax_at_checkout_by_default(db):
    shop = ShopFactory(slug="dollars", currency="USD").shop
    connection.set_tenant(shop)

    assert prices_include_tax() is False


def test_a_country_without_a_tax_rate_pays_no_tax(alpha):
    zone_with_rates("Switzerland", ["CH"], {"name": "Post CH", "price": "12.00"})
    services.tax_settings_set(prices_include_tax=False)

    quote = checkout_quote(
        lines=[(item("30.00"), 1)], country="CH", shipping_rate_id=rate_named("Post CH").pk
    )

    assert (quote.tax, quote.tax_rate, quote.total) == (D("0.00"), D("0"), D("42.00"))


def test_shipping_is_free_from_the_threshold_included(alpha):
    colissimo = rate_named("Colissimo")

    below = shipping_rates_for(country="FR", lines=[(item("49.99"), 1)])
    at = shipping_rates_for(country="FR", lines=[(item("25.00"), 2)])

    assert [(rate.id, rate.price, rate.is_free) for rate in below] == [
        (colissimo.pk, D("4.90"), False)
    ]
    assert [(rate.price, rate.regular_price, rate.free_over) for rate in at] == [
        (D("0"), D("4.90"), D("50.00"))
    ]


def test_weight_bands_from_the_lower_limit_up_to_the_upper_one(alpha):
    zone_with_rates(
        "Germany",
        ["DE", "AT"],
        {"name": "Paket S", "kind": "weight", "price": "4.50", "max_weight_grams": 1000},
        {
            "name": "Paket M",
            "kind": "weight",
            "price": "7.90",
            "min_weight_grams": 1000,
            "max_weight_grams": 5000,
        },
        {"name": "Paket L", "kind": "weight", "price": "15.00", "min_weight_grams": 5000},
        {"name": "Express", "price": "19.00"},
    )
    light, kilo, unweighed = item("10.00", grams=450), item("10.00", grams=1000), item("3.00")
    ebook = item("9.00", grams=2000, physical=False)  # a digital product weighs nothing

    def offered(lines):
        return [(rate.name, rate.price) for rate in shipping_rates_for(country="AT", lines=lines)]

    assert offered([(light, 2), (unweighed, 3), (ebook, 1)]) == [
        ("Paket S", D("4.50")),
        ("Express", D("19.00")),
    ]  # 900 g
    assert offered([(kilo, 1)]) == [("Paket M", D("7.90")), ("Express", D("19.00"))]
    assert offered([(kilo, 5)]) == [("Paket L", D("15.00")), ("Express", D("19.00"))]


def test_order_value_bands(alpha):
    zone_with_rates(
        "Benelux",
        ["BE", "NL", "LU"],
        {"name": "Small order", "kind": "order_value", "price": "6.00", "max_order_value": "30"},
        {"name": "Large order", "kind": "order_value", "price": "3.00", "min_order_value": "30"},
    )

    small = checkout_quote(lines=[(item("29.99"), 1)], country="BE")
    large = checkout_quote(lines=[(item("15.00"), 2)], country="BE")

    assert [rate.name for rate in small.shipping_rates] == ["Small order"]
    assert [rate.name for rate in large.shipping_rates] == ["Large order"]


def test_a_percentage_code_is_spread_over_the_lines_to_the_cent(bag):
    services.tax_settings_set(prices_include_tax=False)
    services.discount_create(code="TEN", kind="percentage", value="10")

    quote = checkout_quote(
        lines=bag,
        country="FR",
        shipping_rate_id=rate_named("Colissimo").pk,
        discount_code="ten",
    )

    assert quote.items_discount == D("4.50")  # 4.498
    assert [line.discount for line in quote.lines] == [D("4.00"), D("0.50")]
    assert [line.tax for line in quote.lines] == [D("7.20"), D("0.90")]  # on 35.98 and 4.50
    assert quote.tax == D("9.08")
    assert quote.total == D("54.46")  # 44.98 - 4.50 + 4.90 + 9.08
    assert (quote.discount_code, quote.discount_kind) == ("TEN", "percentage")


def test_a_fixed_amount_code_never_takes_more_than_the_items(bag):
    services.tax_settings_set(prices_include_tax=True)
    services.discount_create(code="TENOFF", kind="fixed_amount", value="10")
    services.discount_create(code="HUNDRED", kind="fixed_amount", value="100")
    colissimo = rate_named("Colissimo").pk

    ten = checkout_quote(
        lines=bag, country="FR", shipping_rate_id=colissimo, discount_code="TENOFF"
    )
    hundred = checkout_quote(
        lines=bag, country="FR", shipping_rate_id=colissimo, discount_code="HUNDRED"
    )

    assert [line.discount for line in ten.lines] == [D("8.89"), D("1.11")]
    assert ten.total == D("39.88")  # 44.98 - 10 + 4.90
    assert ten.tax == D("6.65")  # 31.09 / 6 = 5.18, 3.89 / 6 = 0.65, 4.90 / 6 = 0.82
    assert hundred.items_discount == D("44.98")
    assert (hundred.total, hundred.tax) == (D("4.90"), D("0.82"))


def test_a_free_shipping_code_takes_off_the_shipping_and_its_tax(bag):
    services.tax_settings_set(prices_include_tax=False)
    services.discount_create(code="SHIPFREE", kind="free_shipping")

    quote = checkout_quote(
        lines=bag,
        country="FR",
        shipping_rate_id=rate_named("Colissimo").pk,
        discount_code="shipfree",
    )

    assert (quote.shipping, quote.shipping_discount, quote.items_discount) == (
        D("4.90"),
        D("4.90"),
        D("0.00"),
    )
    assert (quote.shipping_tax, quote.tax) == (D("0.00"), D("9.00"))
    assert quote.total == D("53.98")  # 44.98 + 4.90 - 4.90 + 9.00


def test_digital_goods_need_no_country_and_pay_no_shipping(alpha):
    services.tax_settings_set(prices_include_tax=False)
    ebook = item("12.00", physical=False)

    without = checkout_quote(lines=[(ebook, 1)], for_payment=True)
    with_country = checkout_quote(lines=[(ebook, 1)], country="FR", for_payment=True)

    assert (without.requires_shipping, without.shipping, without.total) == (
        False,
        D("0.00"),
        D("12.00"),
    )
    assert (with_country.shipping_rates, with_country.tax, with_country.total) == (
        (),
        D("2.40"),
        D("14.40"),
    )


def test_amounts_are_rounded_half_up_to_the_cent(alpha):
    services.tax_settings_set(prices_include_tax=False)
    services.tax_rate_create(country="DE", rate="10")
    zone_with_rates("Germany", ["DE"], {"name": "DHL", "price": "0.05"})

    quote = checkout_quote(
        lines=[(item("0.05", physical=True), 1)],
        country="DE",
        shipping_rate_id=rate_named("DHL").pk,
    )

    assert money_round(D("2.345"), "EUR") == D("2.35")
    assert [line.tax for line in quote.lines] == [D("0.01")]  # 0.005, half up
    assert quote.shipping_tax == D("0.01")
    assert quote.total == D("0.12")


def test_a_currency_without_cents_is_rounded_to_whole_units(db):
    shop = ShopFactory(slug="yen-shop", currency="JPY").shop
    connection.set_tenant(shop)
    services.tax_rate_create(country="JP", rate="10", name="Consumption tax")
    zone_with_rates("Japan", ["JP"], {"name": "Yamato", "price": "700"})
    services.discount_create(code="SAKURA", kind="percentage", value="15")

    added = checkout_quote(
        lines=[(item("999"), 1)],
        country="JP",
        shipping_rate_id=rate_named("Yamato").pk,
        discount_code="SAKURA",
    )
    services.tax_settings_set(prices_include_tax=True)
    included = checkout_quote(
        lines=[(item("999"), 1)], country="JP", shipping_rate_id=rate_named("Yamato").pk
    )

    assert added.prices_include_tax is False  # the default out of the EU's currencies
    assert [line.tax for line in included.lines] == [D("91")]  # 999 x 10 / 110 = 90.8
    assert added.items_discount == D("150")  # 149.85
    assert [line.tax for line in added.lines] == [D("85")]  # (999 - 150) x 10 % = 84.9
    assert added.shipping_tax == D("70")
    assert added.total == D("1704") and added.total_minor == 1704


# --- Bad input ------------------------------------------------------------------------


def test_an_empty_bag_is_refused(alpha):
    with pytest.raises(ValidationError) as raised:
        checkout_quote(lines=[])

    assert errors_of(raised) == {"lines": [("no_items", "Your bag is empty.")]}


def test_an_unknown_country_is_refused_naming_the_field(bag):
    with pytest.raises(ValidationError) as raised:
        checkout_quote(lines=bag, country="Narnia")

    assert errors_of(raised) == {
        "country": [
            (
                "unknown_country",
                "We do not know the country "
                "“Narnia”; give its two-letter code, such as FR, DE or US.",
            )
        ]
    }


def test_a_country_the_shop_does_not_ship_to(bag):
    assert shipping_rates_for(country="US", lines=bag) == []

    with pytest.raises(ValidationError) as raised:
        checkout_quote(lines=bag, country="US")

    assert errors_of(raised) == {
        "country": [("no_shipping_to_country", "Sorry, we do not ship to US.")]
    }


def test_a_shop_without_shipping_zones_ships_at_no_charge(bag):
    # given a shop that has set up no shipping at all
    ShippingZone.objects.all().delete()

    # when
    quote = checkout_quote(lines=bag, country="US", for_payment=True)

    # then: nothing is charged for shipping and no rate is asked for
    assert (quote.shipping, quote.shipping_rates, quote.total) == (
        Decimal("0.00"),
        (),
        Decimal("44.98"),
    )


def test_a_rate_of_another_zone_does_not_ship_there(bag):
    zone_with_rates("Germany", ["DE"], {"name": "DHL", "price": "5.90"})

    with pytest.raises(ValidationError) as raised:
        checkout_quote(lines=bag, country="FR", shipping_rate_id=rate_named("DHL").pk)

    assert errors_of(raised) == {
        "shipping_rate_id": [
            ("rate_not_for_country", "“DHL” does not ship to FR; choose another shipping method.")
        ]
    }


def test_a_rate_for_other_weights_says_why(bag):
    zone_with_rates(
        "Italy",
        ["IT"],
        {"name": "Light", "kind": "weight", "price": "3", "max_weight_grams": 500},
        {"name": "Heavy", "kind": "weight", "price": "9", "min_weight_grams": 500},
    )

    with pytest.raises(ValidationError) as raised:
        checkout_quote(lines=bag, country="IT", shipping_rate_id=rate_named("Light").pk)

    assert errors_of(raised) == {
        "shipping_rate_id": [
            (
                "rate_not_for_order",
                "“Light” is not offered for this order (it is for parcels under 500 g and this one "
                "weighs 700 g); choose another shipping method.",
            )
        ]
    }


def test_a_rate_for_other_order_values_says_why(bag):
    zone_with_rates(
        "Spain",
        ["ES"],
        {"name": "Big orders", "kind": "order_value", "price": "2", "min_order_value": "100"},
        {"name": "Correos", "price": "8"},
    )

    with pytest.raises(ValidationError) as raised:
        checkout_quote(lines=bag, country="ES", shipping_rate_id=rate_named("Big orders").pk)

    assert errors_of(raised)["shipping_rate_id"] == [
        (
            "rate_not_for_order",
            "“Big orders” is not offered for this order (it is for orders from €100.00 and this "
            "one is €44.98); choose another shipping method.",
        )
    ]


def test_a_rate_that_no_longer_exists(bag):
    with pytest.raises(ValidationError) as raised:
        checkout_quote(lines=bag, country="FR", shipping_rate_id=987654)

    assert errors_of(raised) == {
        "shipping_rate_id": [
            (
                "unknown_shipping_rate",
                "That shipping method is not offered any more; choose another one.",
            )
        ]
    }


def test_a_payment_needs_a_country_and_a_rate_for_physical_goods(bag):
    with pytest.raises(ValidationError) as no_country:
        checkout_quote(lines=bag, for_payment=True)
    with pytest.raises(ValidationError) as no_rate:
        checkout_quote(lines=bag, country="FR", for_payment=True)

    assert errors_of(no_country) == {
        "country": [("country_required", "Choose the country to ship to.")]
    }
    assert errors_of(no_rate) == {
        "shipping_rate_id": [("shipping_rate_required", "Choose a shipping method.")]
    }


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"is_active": False}, "code_inactive", "The code “PROMO” is not valid any more."),
        (
            {"ends_at": datetime(2025, 3, 1, 12, tzinfo=UTC)},
            "code_expired",
            "The code “PROMO” expired on 1 March 2025.",
        ),
        (
            {"starts_at": datetime(2999, 1, 2, 9, tzinfo=UTC)},
            "code_not_started",
            "The code “PROMO” can be used from 2 January 2999.",
        ),
        (
            {"minimum_subtotal": "50"},
            "minimum_not_reached",
            "The code “PROMO” needs an order of at least €50.00; add €5.02 more to use it.",
        ),
    ],
)
def test_a_code_that_cannot_be_used_says_why(bag, fields, code, message):
    services.discount_create(code="PROMO", kind="percentage", value="5", **fields)

    with pytest.raises(ValidationError) as raised:
        checkout_quote(lines=bag, discount_code=" promo ")

    assert errors_of(raised) == {"discount_code": [(code, message)]}


def test_an_unknown_code(bag):
    with pytest.raises(ValidationError) as raised:
        checkout_quote(lines=bag, discount_code="NOPE")

    assert errors_of(raised) == {
        "discount_code": [
            ("unknown_code", "There is no discount code “NOPE”; check how it is spelt.")
        ]
    }


def test_a_used_up_code(bag):
    services.discount_create(code="FIRST100", kind="fixed_amount", value="5", usage_limit=1)
    services.discount_redeem(code="first100", email="a@example.com", order_id=OrderFactory().pk)

    with pytest.raises(ValidationError) as raised:
        checkout_quote(lines=bag, discount_code="FIRST100")

    assert errors_of(raised) == {
        "discount_code": [
            ("code_used_up", "The code “FIRST100” has been used as many times as it can be.")
        ]
    }


def test_a_once_per_customer_code_already_used_by_this_email(bag):
    services.discount_create(code="WELCOME", kind="percentage", value="15", once_per_customer=True)
    services.discount_redeem(code="WELCOME", email="Ada@Example.com", order_id=OrderFactory().pk)

    with pytest.raises(ValidationError) as raised:
        checkout_quote(lines=bag, discount_code="welcome", email=" ada@example.COM ")
    other_customer = checkout_quote(lines=bag, discount_code="welcome", email="bob@example.com")

    assert errors_of(raised) == {
        "discount_code": [
            (
                "code_already_used",
                "You have already used the code “WELCOME”; it can be used once per customer.",
            )
        ]
    }
    assert other_customer.items_discount == D("6.75")


def test_every_problem_is_said_at_once(bag):
    with pytest.raises(ValidationError) as raised:
        checkout_quote(lines=bag, country="XX", discount_code="NOPE", email="not-an-email")

    assert {field: [code for code, _ in errors] for field, errors in errors_of(raised).items()} == {
        "country": ["unknown_country"],
        "discount_code": ["unknown_code"],
        "email": ["invalid_email"],
    }


def test_a_code_is_only_checked_by_the_quote_never_counted(bag):
    discount = services.discount_create(code="LOOK", kind="percentage", value="5", usage_limit=1)

    for _ in range(3):
        checkout_quote(lines=bag, discount_code="LOOK")

    discount.refresh_from_db()
    assert discount.uses == 0


def test_a_code_usable_until_its_end(bag):
    services.discount_create(
        code="SOON", kind="percentage", value="5", ends_at=timezone.now() + timedelta(hours=1)
    )

    assert checkout_quote(lines=bag, discount_code="SOON").items_discount == D("2.25")
