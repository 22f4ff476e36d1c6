"""Unpaid reservations expire through the periodic task and give their stock back."""

import time
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.models import Variant
from catalog.services import stock_hold
from orders.models import Order
from orders.services import order_release
from shops.tasks import for_each_shop
from tests.factories import OrderFactory
from tests.orders.conftest import buy, card_token, make_variant, pay, shopper


@pytest.fixture
def pending(shop_a, selling_a):
    answer = buy(
        shopper(),
        {"items": [{"variant_id": selling_a.id, "quantity": 3}], "email": "shopper@example.com"},
    ).json()
    with tenant_context(shop_a):
        return Order.objects.get(public_id=answer["order"]["id"]), answer


def age(shop, order: Order, minutes: int = 16) -> None:
    with tenant_context(shop):
        Order.objects.filter(id=order.id).update(
            reserved_until=timezone.now() - timedelta(minutes=minutes - 15)
        )


def intent_status(base: str, intent_id: str) -> str:
    response = requests.get(
        f"{base}/v1/payment_intents/{intent_id}",
        headers={"Authorization": "Bearer sk_test_alpha"},
        timeout=5,
    )
    return response.json()["status"]


def test_reservation_lasts_15_minutes_by_default(pending):
    order, _ = pending
    assert settings.ORDERS_RESERVATION_MINUTES == 15
    assert timedelta(minutes=14) < order.reserved_until - order.created <= timedelta(minutes=15)


def test_beat_runs_the_expiry_over_every_shop():
    entry = settings.CELERY_BEAT_SCHEDULE["orders-expire-reservations"]
    assert entry["task"] == "shops.for_each_shop"
    assert entry["args"] == ["orders.reservations_expire"]


@pytest.mark.parametrize("card_tried", [None, "4000000000000341"], ids=["unpaid", "declined"])
def test_expired_reservation_returns_the_stock_and_cancels_the_payment(
    shop_a, selling_a, pending, localstripe, card_tried
):
    # a declined card keeps the order held for the shopper: abandoned, it expires too
    order, answer = pending
    if card_tried:
        pay(shopper(), answer, card_token(localstripe, card_tried))
    age(shop_a, order)

    for_each_shop("orders.reservations_expire")

    with tenant_context(shop_a):
        order = Order.objects.get(id=order.id)
        assert (order.status, order.stock_status, order.note) == (
            "cancelled",
            "released",
            "The reservation expired.",
        )
        assert Variant.objects.get(id=selling_a.id).available == 10
    assert intent_status(localstripe, order.payment_intent_id) == "canceled"
    # a card tried after the end is told to reserve again
    late = pay(shopper(), answer, card_token(localstripe))
    assert (late.status_code, late.json()["error"]["code"]) == (409, "not_payable")


def test_a_reservation_still_running_is_kept(shop_a, selling_a, pending):
    order, _ = pending
    age(shop_a, order, minutes=14)

    for_each_shop("orders.reservations_expire")

    with tenant_context(shop_a):
        assert Order.objects.get(id=order.id).stock_status == "held"
        assert Variant.objects.get(id=selling_a.id).available == 7


def test_expiry_of_an_order_paid_at_stripe_marks_it_paid(shop_a, selling_a, pending, localstripe):
    # the payment succeeded but its webhook has not arrived
    order, answer = pending
    pay(shopper(), answer, card_token(localstripe))
    age(shop_a, order)

    for_each_shop("orders.reservations_expire")

    with tenant_context(shop_a):
        order = Order.objects.get(id=order.id)
        assert (order.status, order.stock_status) == ("paid", "committed")
        assert Variant.objects.get(id=selling_a.id).available == 7


def test_stock_is_given_back_once_however_often_release_runs(shop_a, selling_a, pending):
    order, _ = pending
    with tenant_context(shop_a):
        first = order_release(order=order, to="cancelled", note="a")
        second = order_release(order=Order.objects.get(id=order.id), to="cancelled", note="b")
        assert (first, second) == (True, False)
        assert Variant.objects.get(id=selling_a.id).available == 10


def test_expiry_in_one_shop_leaves_another_alone(shop_a, shop_b, pending):
    order, _ = pending
    age(shop_a, order)

    with tenant_context(shop_b):
        from orders.services import reservations_expire

        assert reservations_expire() == 0
    with tenant_context(shop_a):
        assert Order.objects.get(id=order.id).stock_status == "held"


@pytest.mark.worker
def test_a_real_worker_expires_reservations_of_every_shop(
    worker, committed_shop, django_db_blocker
):
    # given an expired order in a committed shop (no PaymentIntent: the worker has no
    # localstripe to talk to)
    shop = committed_shop("expiry").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        variant = make_variant(stock=5)
        order = _order_reserve(variant, quantity=2)
        Order.objects.filter(id=order.id).update(
            reserved_until=timezone.now() - timedelta(minutes=1)
        )

    # when the beat's fan-out runs on the worker
    with django_db_blocker.unblock():
        for_each_shop.delay("orders.reservations_expire")

    # then
    deadline = time.monotonic() + 60
    with django_db_blocker.unblock(), tenant_context(shop):
        while Order.objects.get(id=order.id).stock_status == "held":
            assert time.monotonic() < deadline, "the worker did not expire the reservation"
            time.sleep(0.2)
        assert Variant.objects.get(id=variant.id).available == 5
        assert Order.objects.get(id=order.id).note == "The reservation expired."


def _order_reserve(variant, *, quantity: int) -> Order:
    """An order holding ``quantity`` of ``variant``, as buy-now leaves it before Stripe."""
    stock_hold(variant=variant, quantity=quantity)
    return OrderFactory(pending=True, email="s@example.com", lines=[(variant, quantity)])


def test_a_declined_card_keeps_the_order_held_and_another_card_pays_it(
    shop_a, selling_a, pending, localstripe
):
    # given a card that is declined
    order, answer = pending
    declined = pay(shopper(), answer, card_token(localstripe, "4000000000000341"))
    assert (declined.status_code, declined.json()["error"]) == (
        402,
        {
            "code": "card_declined",
            "message": "Your card was declined; try another card.",
            "field": None,
        },
    )
    with tenant_context(shop_a):
        order = Order.objects.get(id=order.id)
        assert (order.status, order.stock_status) == ("pending_payment", "held")
        assert Variant.objects.get(id=selling_a.id).available == 7

    # when the same order is paid with another card
    paid = pay(shopper(), answer, card_token(localstripe))

    # then Stripe takes it (the PaymentIntent was still payable)
    assert paid.json() == {"status": "succeeded"}
    assert intent_status(localstripe, order.payment_intent_id) == "succeeded"
