"""Real concurrency: threads buying at once against PostgreSQL with committed data."""

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from catalog.models import Variant
from orders import services
from orders.models import Discount, DiscountRedemption, Order
from orders.services import OrderActionError, order_refund
from tests.orders.conftest import (
    buy,
    card_token,
    intent_event,
    make_variant,
    pay,
    shop_sells,
    shopper,
    signed,
)


def run_at_once(count: int, work) -> list:
    """Run ``work(index)`` in ``count`` threads released together; their results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def rush(committed_shop, django_db_blocker, stripe_settings):
    shop = committed_shop("rush").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        shop_sells("alpha")
        first = make_variant(title="Limited Print", sku="PRINT", stock=5)
        second = make_variant(title="Poster", sku="POSTER", stock=100)
    with django_db_blocker.unblock():
        yield shop, first, second


def test_buy_now_never_sells_more_than_stock(rush):
    shop, variant, _ = rush

    def attempt(index: int) -> int:
        payload = {
            "items": [{"variant_id": variant.id, "quantity": 1}],
            "email": f"shopper{index}@example.com",
        }
        return buy(shopper("rush"), payload).status_code

    statuses = run_at_once(24, attempt)

    assert Counter(statuses) == {201: 5, 409: 19}
    with tenant_context(shop):
        stored = Variant.objects.get(id=variant.id)
        assert (stored.stock, stored.held, stored.available) == (5, 5, 0)
        assert Order.objects.filter(status="pending_payment").count() == 5


def test_orders_for_the_same_variants_in_any_order_do_not_deadlock(rush):
    shop, first, second = rush

    def attempt(index: int) -> int:
        ids = [first.id, second.id] if index % 2 else [second.id, first.id]
        payload = {
            "items": [{"variant_id": ids[0], "quantity": 1}, {"variant_id": ids[1], "quantity": 1}],
            "email": "shopper@example.com",
        }
        return buy(shopper("rush"), payload).status_code

    statuses = run_at_once(12, attempt)

    assert Counter(statuses) == {201: 5, 409: 7}
    with tenant_context(shop):
        assert Variant.objects.get(id=first.id).available == 0
        assert Variant.objects.get(id=second.id).available == 95


def test_a_code_with_three_uses_left_is_redeemed_three_times_by_twelve_shoppers(rush):
    # given a code of 3 uses: every checkout's quote sees it open, the redemption counts
    shop, _, variant = rush
    with tenant_context(shop):
        services.discount_create(code="RUSH", kind="percentage", value="10", usage_limit=3)

    def attempt(index: int):
        payload = {
            "items": [{"variant_id": variant.id, "quantity": 1}],
            "email": f"shopper{index}@example.com",
            "discount_code": "RUSH",
        }
        return buy(shopper("rush"), payload)

    # when
    responses = run_at_once(12, attempt)

    # then 3 orders, the others refused with nothing held (their stock hold rolled back)
    assert Counter(r.status_code for r in responses) == {201: 3, 400: 9}
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 400} == {
        "code_used_up"
    }
    with tenant_context(shop):
        assert Discount.objects.get(code="RUSH").uses == 3
        assert DiscountRedemption.objects.count() == Order.objects.count() == 3
        assert Variant.objects.get(id=variant.id).held == 3


def test_one_idempotency_key_sent_at_once_makes_one_order(rush):
    shop, _, variant = rush
    payload = {"items": [{"variant_id": variant.id, "quantity": 1}], "email": "s@example.com"}

    responses = run_at_once(6, lambda index: buy(shopper("rush"), payload, key="double-tap"))

    assert {r.status_code for r in responses} <= {201, 409}
    created = [r.json() for r in responses if r.status_code == 201]
    assert created and all(answer == created[0] for answer in created)
    with tenant_context(shop):
        assert Order.objects.count() == 1
        assert Variant.objects.get(id=variant.id).available == 99


def test_two_refunds_at_once_never_refund_more_than_was_paid(rush, localstripe):
    # given an order of 2 x 24.00 paid at localstripe and marked paid by its webhook
    shop, _, variant = rush
    answer = buy(
        shopper("rush"),
        {"items": [{"variant_id": variant.id, "quantity": 2}], "email": "s@example.com"},
    ).json()
    pay(shopper("rush"), answer, card_token(localstripe))
    with tenant_context(shop):
        order = Order.objects.get(public_id=answer["order"]["id"])
    event = intent_event(
        event_id="evt_rush",
        type="payment_intent.succeeded",
        intent_id=order.payment_intent_id,
        shop=shop.schema_name,
        order=str(order.public_id),
        amount=4800,
    )
    shopper("rush").post("/webhooks/stripe/", **signed(event, "whsec_alpha"))

    # when the merchant's two clicks each refund 30.00
    def refund(index: int) -> str:
        with tenant_context(shop):
            try:
                order_refund(order=Order.objects.get(id=order.id), amount=Decimal("30.00"))
            except OrderActionError as exc:
                return str(exc)
            return "refunded"

    outcomes = run_at_once(2, refund)

    # then
    assert sorted(outcomes) == [
        "Refund more than nothing and at most €18.00, what is left of the payment.",
        "refunded",
    ]
    with tenant_context(shop):
        assert Order.objects.get(id=order.id).refunded_minor == 3000
