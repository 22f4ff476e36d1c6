"""Buy-now and the checkout quote priced by the shop's rules: shipping rates, tax and
discount codes (orders.pricing.checkout_quote), the code redeemed with the stock hold,
the total the shopper saw checked, and every refusal leaving nothing held or counted."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.models import Variant
from orders import services
from orders.models import Discount, DiscountRedemption, Order
from orders.receipts import order_amounts
from tests.conftest import clear_of_window_end
from tests.orders.conftest import ADDRESS, buy, make_variant, shop_sells, shopper
from tests.orders.pricing_helpers import item, rate_named, zone_with_rates
from tests.orders.test_buy_now import localstripe_intent

EMAIL = "ada@example.com"


@pytest.fixture
def priced(shop_a, selling_a):
    """Alpha (EUR, prices include tax) ships to France with Colissimo at 4.90, free from
    50.00, and to Germany with DHL at 6.50; VAT 20 % in France; codes WELCOME10 (10 %),
    ONCE (5.00 off, once per customer), EXPIRED (ended yesterday) and FULL (used up)."""
    with tenant_context(shop_a):
        zone_with_rates("France", ["FR"], {"name": "Colissimo", "price": "4.90", "free_over": "50"})
        zone_with_rates("Germany", ["DE"], {"name": "DHL", "price": "6.50"})
        services.tax_rate_create(country="FR", rate="20", name="VAT")
        services.discount_create(code="WELCOME10", kind="percentage", value="10")
        services.discount_create(
            code="ONCE", kind="fixed_amount", value="5", once_per_customer=True
        )
        services.discount_create(
            code="EXPIRED",
            kind="percentage",
            value="50",
            ends_at=timezone.now() - timedelta(days=1),
        )
        full = services.discount_create(code="FULL", kind="percentage", value="50", usage_limit=1)
        Discount.objects.filter(pk=full.pk).update(uses=1)
        return {
            "colissimo": rate_named("Colissimo").pk,
            "dhl": rate_named("DHL").pk,
            "variant": selling_a,
        }


def order_body(priced: dict, quantity: int = 2, **extra) -> dict:
    return {
        "items": [{"variant_id": priced["variant"].id, "quantity": quantity}],
        "email": EMAIL,
        "shipping_address": ADDRESS,
        "shipping_rate": priced["colissimo"],
        **extra,
    }


def quote(body: dict, slug: str = "alpha"):
    return shopper(slug).post(
        "/api/v1/checkout/quote/", data=json.dumps(body), content_type="application/json"
    )


def nothing_held(shop, variant: Variant) -> None:
    with tenant_context(shop):
        assert Variant.objects.get(pk=variant.pk).held == 0
        assert not Order.objects.exists()
        assert not DiscountRedemption.objects.exists()
        assert dict(Discount.objects.values_list("code", "uses")) == {
            "WELCOME10": 0,
            "ONCE": 0,
            "EXPIRED": 0,
            "FULL": 1,
        }


# --- What is charged ----------------------------------------------------------------


def test_buy_now_charges_the_lines_plus_shipping_minus_the_code(shop_a, priced, localstripe):
    # given 2 x 24.00, Colissimo (4.90: under 50.00) and WELCOME10 (10 % off the items)
    # when
    response = buy(shopper(), order_body(priced, discount_code="welcome10"))

    # then prices include VAT: 48.00 - 4.80 + 4.90 = 48.10, of which VAT is
    # 43.20 * 20/120 = 7.20 on the items and 4.90 * 20/120 = 0.8166… → 0.82 on shipping
    assert response.status_code == 201, response.json()
    assert response.json()["order"]["total"] == "48.10"
    assert response.json()["order"]["amount"] == 4810
    with tenant_context(shop_a):
        order = Order.objects.get()
        assert (
            order.subtotal,
            order.shipping_amount,
            order.discount_amount,
            order.tax_amount,
            order.tax_name,
            order.prices_include_tax,
            order.total,
            order.amount_minor,
            order.coupon_code,
            order.shipping_method,
        ) == (
            Decimal("48.00"),
            Decimal("4.90"),
            Decimal("4.80"),
            Decimal("8.02"),
            "VAT",
            True,
            Decimal("48.10"),
            4810,
            "WELCOME10",
            "Colissimo",
        )
        assert ("Shipping (Colissimo)", "€4.90") in [
            (amount.label, amount.amount) for amount in order_amounts(order=order)
        ]
        assert Variant.objects.get(pk=priced["variant"].pk).held == 2
        assert Discount.objects.get(code="WELCOME10").uses == 1
        assert DiscountRedemption.objects.get().order_id == order.pk
    intent = localstripe_intent(localstripe, order.payment_intent_id)
    assert (intent["amount"], intent["currency"]) == (4810, "eur")


def test_shipping_is_free_over_the_threshold_and_tax_is_added_outside_the_eu(
    shop_a, priced, localstripe
):
    # given prices without tax (the shop's setting) and 3 x 24.00 = 72.00, over 50.00
    with tenant_context(shop_a):
        services.tax_settings_set(prices_include_tax=False)

    # when
    response = buy(shopper(), order_body(priced, quantity=3))

    # then shipping is free and VAT is added: 72.00 * 20 % = 14.40
    assert response.status_code == 201, response.json()
    with tenant_context(shop_a):
        order = Order.objects.get()
    assert (order.shipping_amount, order.tax_amount, order.total) == (
        Decimal("0.00"),
        Decimal("14.40"),
        Decimal("86.40"),
    )


def test_the_older_coupon_field_applies_the_code_too(shop_a, priced):
    response = buy(shopper(), order_body(priced, coupon="WELCOME10"))

    assert response.json()["order"]["total"] == "48.10"


# --- Refusals: nothing held, nothing counted ---------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "field", "code", "message"),
    [
        (
            {"shipping_address": {**ADDRESS, "country": "ZZ"}},
            400,
            "shipping_address.country",
            "unknown_country",
            "We do not know the country “ZZ”; give its two-letter code, such as FR, DE or US.",
        ),
        (
            {"shipping_address": {**ADDRESS, "country": "US"}},
            400,
            "shipping_address.country",
            "no_shipping_to_country",
            "Sorry, we do not ship to US.",
        ),
        (
            {"shipping_rate": "dhl"},
            400,
            "shipping_rate",
            "rate_not_for_country",
            "“DHL” does not ship to FR; choose another shipping method.",
        ),
        (
            {"shipping_rate": None},
            400,
            "shipping_rate",
            "shipping_rate_required",
            "Choose a shipping method.",
        ),
        (
            {"shipping_rate": "7"},
            400,
            "shipping_rate",
            "invalid",
            "Choose a shipping method among those offered.",
        ),
        (
            {"discount_code": "NOPE"},
            400,
            "discount_code",
            "unknown_code",
            "There is no discount code “NOPE”; check how it is spelt.",
        ),
        (
            {"discount_code": "EXPIRED"},
            400,
            "discount_code",
            "code_expired",
            None,
        ),
        (
            {"coupon": "FULL"},
            400,
            "coupon",
            "code_used_up",
            "The code “FULL” has been used as many times as it can be.",
        ),
        (
            {"items": "over stock"},
            409,
            "items[0].quantity",
            "out_of_stock",
            "Sorry, only 10 of Canvas Tote are left.",
        ),
    ],
)
def test_a_bad_choice_is_named_and_nothing_is_held(
    shop_a, priced, change, status, field, code, message
):
    # given
    body = order_body(priced)
    if change.get("shipping_rate") == "dhl":
        change = {"shipping_rate": priced["dhl"]}
    if change.get("shipping_rate") == "7":
        change = {"shipping_rate": "7"}  # text is not a rate's id
    if change.get("items") == "over stock":
        change = {"items": [{"variant_id": priced["variant"].id, "quantity": 11}]}
    body.update(change)

    # when
    response = buy(shopper(), body)

    # then
    error = response.json()["error"]
    assert (response.status_code, error["field"], error["code"]) == (status, field, code)
    if message:
        assert error["message"] == message
    else:
        assert error["message"].startswith("The code “EXPIRED” expired on ")
    nothing_held(shop_a, priced["variant"])


def test_a_once_per_customer_code_used_twice_is_refused(shop_a, priced):
    first = buy(shopper(), order_body(priced, quantity=1, discount_code="ONCE"))
    # the same customer, written otherwise
    second = buy(
        shopper(), order_body(priced, quantity=1, discount_code="once", email=" ADA@example.com")
    )

    assert first.status_code == 201
    assert first.json()["order"]["total"] == "23.90"  # 24.00 - 5.00 + 4.90
    assert (second.status_code, second.json()["error"]["field"]) == (400, "discount_code")
    assert second.json()["error"]["message"] == (
        "You have already used the code “ONCE”; it can be used once per customer."
    )
    with tenant_context(shop_a):
        assert Order.objects.count() == 1
        assert Variant.objects.get(pk=priced["variant"].pk).held == 1
        assert Discount.objects.get(code="ONCE").uses == 1


def test_buy_now_without_an_address_for_a_physical_product_names_the_field(shop_a, priced):
    body = order_body(priced)
    del body["shipping_address"]

    response = shopper().post(
        "/api/v1/buy-now/", data=json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "shipping_address.name"
    nothing_held(shop_a, priced["variant"])


def test_a_digital_product_needs_no_address_nor_rate(shop_a, priced):
    with tenant_context(shop_a):
        ebook = item("9.00", physical=False)

    response = buy(
        shopper(),
        {
            "items": [{"variant_id": ebook.id, "quantity": 1}],
            "email": EMAIL,
            "shipping_address": {},
        },
    )

    assert response.status_code == 201, response.json()
    assert response.json()["order"]["total"] == "9.00"


# --- The total the shopper saw ------------------------------------------------------


def test_a_total_that_changed_since_the_summary_is_refused_with_the_new_quote(shop_a, priced):
    # given the shopper saw 48.10 (2 x 24.00 + 4.90 - 10 %), then the price went up
    shown = quote(
        {
            "items": [{"variant_id": priced["variant"].id, "quantity": 2}],
            "country": "FR",
            "shipping_rate": priced["colissimo"],
            "discount_code": "WELCOME10",
        }
    ).json()["total"]
    with tenant_context(shop_a):
        Variant.objects.filter(pk=priced["variant"].pk).update(price=Decimal("26.00"))

    # when
    response = buy(shopper(), order_body(priced, discount_code="WELCOME10", expected_total=shown))

    # then 52.00 - 5.20 + 0.00 (free over 50.00) = 46.80
    assert shown == "48.10"
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("total_changed", "expected_total")
    assert (error["quote"]["total"], error["quote"]["lines"][0]["unit_price"]) == (
        "46.80",
        "26.00",
    )
    nothing_held(shop_a, priced["variant"])

    # and with the new total the order is made
    again = buy(shopper(), order_body(priced, discount_code="WELCOME10", expected_total="46.80"))
    assert again.status_code == 201
    assert again.json()["order"]["total"] == "46.80"


# --- The quote ----------------------------------------------------------------------


def test_the_quote_lists_rates_amounts_and_tax(shop_a, priced):
    response = quote(
        {
            "items": [{"variant_id": priced["variant"].id, "quantity": 2}],
            "country": "FR",
            "shipping_rate": priced["colissimo"],
            "discount_code": "welcome10",
        }
    )

    assert response.status_code == 200
    answer = response.json()
    assert [(rate["id"], rate["name"], rate["price"]) for rate in answer["shipping_rates"]] == [
        (priced["colissimo"], "Colissimo", "4.90")
    ]
    assert {
        key: answer[key]
        for key in ("subtotal", "shipping", "discount", "discount_code", "total", "errors")
    } == {
        "subtotal": "48.00",
        "shipping": "4.90",
        "discount": "4.80",
        "discount_code": "WELCOME10",
        "total": "48.10",
        "errors": [],
    }
    assert answer["tax"] == {"name": "VAT", "rate": "20.000", "amount": "8.02", "included": True}
    assert answer["lines"][0]["product_title"] == "Canvas Tote"


def test_the_quote_names_a_bad_code_and_prices_without_it(shop_a, priced):
    response = quote(
        {
            "items": [{"variant_id": priced["variant"].id, "quantity": 1}],
            "country": "DE",
            "shipping_rate": priced["colissimo"],
            "discount_code": "EXPIRED",
        }
    )

    answer = response.json()
    assert response.status_code == 200
    assert [(error["field"], error["code"]) for error in answer["errors"]] == [
        ("shipping_rate", "rate_not_for_country"),
        ("discount_code", "code_expired"),
    ]
    # priced with neither: 24.00, no rate chosen yet, DHL offered for Germany
    assert (answer["total"], answer["shipping_rate"], answer["discount_code"]) == (
        "24.00",
        None,
        "",
    )
    assert [rate["name"] for rate in answer["shipping_rates"]] == ["DHL"]


def test_the_quote_of_an_unknown_country_says_so(shop_a, priced):
    response = quote(
        {"items": [{"variant_id": priced["variant"].id, "quantity": 1}], "country": "XX"}
    )

    assert response.status_code == 200
    assert [(error["field"], error["code"]) for error in response.json()["errors"]] == [
        ("country", "unknown_country")
    ]


# --- Tenancy ------------------------------------------------------------------------


def test_another_shops_rate_and_code_are_refused(shop_a, shop_b, priced, stripe_settings):
    # given beta's own rate and code
    with tenant_context(shop_b):
        shop_sells("beta")
        zone_with_rates("Everywhere", ["FR"], {"name": "Beta post", "price": "1.00"})
        beta_rate = rate_named("Beta post").pk
        services.discount_create(code="BETA50", kind="percentage", value="50")
        make_variant(sku="BETA-TOTE")

    # when alpha's checkout names them
    by_rate = buy(shopper(), order_body(priced, shipping_rate=beta_rate))
    by_code = buy(shopper(), order_body(priced, discount_code="BETA50"))

    # then
    assert (by_rate.status_code, by_rate.json()["error"]["code"]) == (400, "unknown_shipping_rate")
    assert by_rate.json()["error"]["field"] == "shipping_rate"
    assert (by_code.status_code, by_code.json()["error"]["code"]) == (400, "unknown_code")
    nothing_held(shop_a, priced["variant"])
    with tenant_context(shop_b):
        assert Discount.objects.get().uses == 0


def test_the_quote_is_limited_per_client_address(shop_a, priced, settings):
    # given a limit of 2 quotes a minute
    settings.ORDERS_RATE_CHECKOUT_QUOTE = "2/m"
    clear_of_window_end(60)  # the limit counts per minute: all requests in one
    body = {"items": [{"variant_id": priced["variant"].id, "quantity": 1}], "country": "FR"}

    # when
    answers = [quote(body).status_code for _ in range(3)]

    # then
    assert answers == [200, 200, 429]


@pytest.mark.parametrize("line_count", [1, 8])
def test_the_quote_query_count_is_flat_in_the_number_of_lines(
    shop_a, priced, line_count, django_assert_max_num_queries
):
    with tenant_context(shop_a):
        variants = [priced["variant"]] + [
            make_variant(title=f"Item {n}", sku=f"ITEM-{n}", stock=5) for n in range(line_count - 1)
        ]
    body = {
        "items": [{"variant_id": variant.id, "quantity": 1} for variant in variants],
        "country": "FR",
        "shipping_rate": priced["colissimo"],
        "discount_code": "WELCOME10",
    }

    # search_path 2, routing 1, rate limit 0 (cache), variants 1, the code 1, rates 1,
    # tax settings 1, tax rate 1: the same whatever the number of lines
    with django_assert_max_num_queries(9):
        response = quote(body)

    assert response.status_code == 200
    assert len(response.json()["lines"]) == line_count
