"""Counting a discount code's uses (orders.services.discount_redeem / discount_release):
once per order, once per customer where the code says so, never past its usage limit,
even with many checkouts at once; and the codes and shipping rules of one shop are
nothing in another."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from orders import services
from orders.models import Discount, DiscountRedemption, Order
from orders.pricing import checkout_quote, shipping_rates_for
from tests.factories import OrderFactory
from tests.orders.pricing_helpers import item, rate_named, zone_with_rates


@pytest.fixture
def alpha(shop_a):
    connection.set_tenant(shop_a)
    return shop_a


def refusal(raised: pytest.ExceptionInfo) -> tuple[str, str]:
    (error,) = raised.value.error_dict["discount_code"]
    return error.code, error.message


def test_a_use_is_counted_once_per_order(alpha):
    discount = services.discount_create(code="SPRING", kind="percentage", value="10")
    order = OrderFactory(pending=True)

    first = services.discount_redeem(code="spring", email="Ada@Example.com", order_id=order.pk)
    again = services.discount_redeem(code="SPRING", email="ada@example.com", order_id=order.pk)

    discount.refresh_from_db()
    assert again.pk == first.pk
    assert discount.uses == 1
    assert (first.email, first.order_id) == ("ada@example.com", order.pk)


def test_a_once_per_customer_code_is_refused_the_second_time(alpha):
    discount = services.discount_create(
        code="WELCOME", kind="fixed_amount", value="5", once_per_customer=True
    )
    services.discount_redeem(code="WELCOME", email="ada@example.com", order_id=OrderFactory().pk)

    with pytest.raises(ValidationError) as raised:
        services.discount_redeem(
            code="welcome", email="  ADA@example.com", order_id=OrderFactory().pk
        )
    services.discount_redeem(code="WELCOME", email="bob@example.com", order_id=OrderFactory().pk)

    assert refusal(raised) == (
        "code_already_used",
        "You have already used the code “WELCOME”; it can be used once per customer.",
    )
    discount.refresh_from_db()
    assert discount.uses == 2
    assert sorted(discount.redemptions.values_list("email", flat=True)) == [
        "ada@example.com",
        "bob@example.com",
    ]


def test_a_code_is_not_counted_past_its_limit_nor_outside_its_dates(alpha):
    services.discount_create(code="ONE", kind="free_shipping", usage_limit=1)
    services.discount_create(
        code="OLD", kind="free_shipping", ends_at=timezone.now() - timedelta(minutes=1)
    )
    services.discount_redeem(code="ONE", email="a@example.com", order_id=OrderFactory().pk)

    with pytest.raises(ValidationError) as used_up:
        services.discount_redeem(code="ONE", email="b@example.com", order_id=OrderFactory().pk)
    with pytest.raises(ValidationError) as expired:
        services.discount_redeem(code="OLD", email="b@example.com", order_id=OrderFactory().pk)
    with pytest.raises(ValidationError) as unknown:
        services.discount_redeem(code="NONE", email="b@example.com", order_id=OrderFactory().pk)

    assert refusal(used_up)[0] == "code_used_up"
    assert refusal(expired)[0] == "code_expired"
    assert refusal(unknown)[0] == "unknown_code"
    assert dict(Discount.objects.values_list("code", "uses")) == {"ONE": 1, "OLD": 0}


def test_a_released_checkout_gives_its_use_back_once(alpha):
    discount = services.discount_create(
        code="ONCE", kind="percentage", value="20", usage_limit=1, once_per_customer=True
    )
    expired_checkout = OrderFactory(pending=True)
    services.discount_redeem(code="ONCE", email="ada@example.com", order_id=expired_checkout.pk)

    given_back = services.discount_release(order_id=expired_checkout.pk)
    again = services.discount_release(order_id=expired_checkout.pk)
    reused = services.discount_redeem(
        code="ONCE", email="ada@example.com", order_id=OrderFactory().pk
    )

    discount.refresh_from_db()
    assert (given_back, again) == (1, 0)
    assert discount.uses == 1
    assert list(discount.redemptions.all()) == [reused]


def test_the_usage_limit_cannot_go_below_the_uses(alpha):
    discount = services.discount_create(code="TWO", kind="percentage", value="5")
    for email in ("a@example.com", "b@example.com"):
        services.discount_redeem(code="TWO", email=email, order_id=OrderFactory().pk)

    with pytest.raises(ValidationError) as raised:
        services.discount_update(discount=discount, usage_limit=1)

    assert raised.value.message_dict == {
        "usage_limit": ["The code has been used 2 times already; the limit cannot be lower."]
    }


# --- Many checkouts at once -------------------------------------------------------------


@pytest.fixture
def crowd(committed_shop, django_db_blocker):
    """A committed shop with 200 checkouts awaiting payment, and two codes: 100 uses in
    all, and once per customer."""
    shop = committed_shop("codes").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        services.discount_create(code="HUNDRED", kind="percentage", value="10", usage_limit=100)
        services.discount_create(code="ONCE-EACH", kind="free_shipping", once_per_customer=True)
        orders = Order.objects.bulk_create(
            Order(
                email=f"shopper{index}@example.com",
                currency="EUR",
                subtotal=10,
                total=10,
                amount_minor=1000,
            )
            for index in range(200)
        )
    with django_db_blocker.unblock():
        yield shop, [order.pk for order in orders]


def redeem_in_threads(shop, attempts: list[tuple[str, str, int]], *, threads: int) -> list[str]:
    """Each attempt (code, email, order id) redeemed by a pool of ``threads`` threads,
    each on its own connection in the shop's schema; "ok" or the refusal's code."""

    def attempt(arguments: tuple[str, str, int]) -> str:
        code, email, order_id = arguments
        try:
            with tenant_context(shop):
                services.discount_redeem(code=code, email=email, order_id=order_id)
            return "ok"
        except ValidationError as error:
            return error.error_dict["discount_code"][0].code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(attempt, attempts))


def test_200_checkouts_at_once_on_a_100_use_code_make_exactly_100_uses(crowd):
    shop, order_ids = crowd
    attempts = [
        ("hundred", f"shopper{index}@example.com", order_id)
        for index, order_id in enumerate(order_ids)
    ]

    outcomes = redeem_in_threads(shop, attempts, threads=20)

    assert Counter(outcomes) == {"ok": 100, "code_used_up": 100}
    with tenant_context(shop):
        discount = Discount.objects.get(code="HUNDRED")
        assert discount.uses == 100
        assert discount.redemptions.count() == 100


def test_one_customer_at_once_in_many_tabs_uses_a_once_per_customer_code_once(crowd):
    shop, order_ids = crowd
    attempts = [("ONCE-EACH", "Same@Example.com", order_id) for order_id in order_ids[:24]]

    outcomes = redeem_in_threads(shop, attempts, threads=12)

    assert Counter(outcomes) == {"ok": 1, "code_already_used": 23}
    with tenant_context(shop):
        assert Discount.objects.get(code="ONCE-EACH").uses == 1
        assert DiscountRedemption.objects.get().email == "same@example.com"


# --- Tenancy ----------------------------------------------------------------------------


def test_one_shops_codes_and_zones_are_nothing_in_another(shop_a, shop_b):
    with tenant_context(shop_a):
        services.discount_create(code="ALPHA10", kind="percentage", value="10")
        zone_with_rates("Europe", ["FR", "DE"], {"name": "Alpha post", "price": "3"})
        alpha_rate = rate_named("Alpha post").pk
        assert shipping_rates_for(country="FR", lines=[(item("10"), 1)])

    with tenant_context(shop_b):
        lines = [(item("10"), 1)]
        with pytest.raises(ValidationError) as quoted:
            checkout_quote(
                lines=lines, country="FR", shipping_rate_id=alpha_rate, discount_code="ALPHA10"
            )
        with pytest.raises(ValidationError) as redeemed:
            services.discount_redeem(
                code="ALPHA10", email="a@example.com", order_id=OrderFactory().pk
            )
        assert shipping_rates_for(country="FR", lines=lines) == []
        assert not Discount.objects.exists()
        # beta can have a code of the same name: codes are per shop
        services.discount_create(code="alpha10", kind="free_shipping")

    assert {
        field: [e.code for e in errors] for field, errors in quoted.value.error_dict.items()
    } == {
        "shipping_rate_id": ["unknown_shipping_rate"],
        "discount_code": ["unknown_code"],
    }
    assert refusal(redeemed)[0] == "unknown_code"
    with tenant_context(shop_a):
        assert Discount.objects.get().uses == 0
