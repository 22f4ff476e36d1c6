"""POST /webhooks/stripe/: signatures, duplicates, any order of arrival, the shop named by
the event (never the host), late payments after the reservation expired."""

import time

import pytest
import requests
from django.core import mail
from django.test import Client
from django_tenants.utils import tenant_context

from catalog.models import Variant
from orders.models import Discount, DiscountRedemption, Order, StripeEvent
from orders.payment_accounts import payment_account_connect
from orders.services import discount_create, discount_redeem, order_release
from tests.factories import OrderFactory
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


def post_event(event: dict, secret: str, host: str = "alpha.localhost", **kwargs):
    return Client(HTTP_HOST=host).post("/webhooks/stripe/", **signed(event, secret, **kwargs))


@pytest.fixture
def pending(shop_a, selling_a):
    """A pending order for 2 of the variant (stock 10 → 8), and its buy-now answer."""
    answer = buy(
        shopper(),
        {"items": [{"variant_id": selling_a.id, "quantity": 2}], "email": "shopper@example.com"},
    ).json()
    with tenant_context(shop_a):
        order = Order.objects.get(public_id=answer["order"]["id"])
    return order, answer


def succeeded(of: Order, event_id: str = "evt_1", **overrides) -> dict:
    fields = {
        "event_id": event_id,
        "type": "payment_intent.succeeded",
        "intent_id": of.payment_intent_id,
        "shop": "shop_alpha",
        "order": str(of.public_id),
        "amount": of.amount_minor,
    }
    return intent_event(**{**fields, **overrides})


def reload(shop, order: Order) -> Order:
    with tenant_context(shop):
        return Order.objects.get(id=order.id)


def stock(shop, variant) -> int:
    with tenant_context(shop):
        return Variant.objects.get(id=variant.id).available


def test_succeeded_event_marks_the_order_paid_and_emails_the_shopper(
    shop_a, selling_a, pending, django_capture_on_commit_callbacks
):
    order, _ = pending

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(succeeded(order), "whsec_alpha")

    assert response.status_code == 200
    assert response.json() == {"result": "handled"}
    order = reload(shop_a, order)
    assert (order.status, order.stock_status) == ("paid", "committed")
    assert order.paid_at is not None
    assert stock(shop_a, selling_a) == 8
    assert [m.subject for m in mail.outbox] == [f"Your order {order.number} is confirmed"]
    assert mail.outbox[0].to == ["shopper@example.com"]
    assert "2 \N{MULTIPLICATION SIGN} Canvas Tote — €48.00 (€24.00 each)" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("secret", "header", "age"),
    [
        ("whsec_wrong", True, 0),  # forged: another secret
        ("whsec_platform", True, 0),  # the platform's secret cannot speak for an own-keys shop
        ("whsec_alpha", True, 600),  # stale: older than 5 minutes
        ("whsec_alpha", True, -400),  # stamped 400 s in the future
        ("whsec_alpha", False, 0),  # unsigned
    ],
)
def test_forged_stale_and_unsigned_events_are_refused(shop_a, pending, secret, header, age):
    order, _ = pending
    kwargs = signed(succeeded(order), secret, timestamp=int(time.time()) - age)
    if not header:
        del kwargs["HTTP_STRIPE_SIGNATURE"]

    response = Client(HTTP_HOST="alpha.localhost").post("/webhooks/stripe/", **kwargs)

    if secret == "whsec_platform":
        assert response.status_code == 200
        assert response.json() == {"result": "ignored: not this shop's account"}
    else:
        assert response.status_code == 400
    order = reload(shop_a, order)
    assert order.status == "pending_payment"
    with tenant_context(shop_a):
        assert not StripeEvent.objects.exists()


def test_a_tampered_body_does_not_verify(shop_a, pending):
    order, _ = pending
    kwargs = signed(succeeded(order), "whsec_alpha")
    kwargs["data"] = kwargs["data"].replace('"amount": 4800', '"amount": 4801')

    response = Client(HTTP_HOST="alpha.localhost").post("/webhooks/stripe/", **kwargs)

    assert response.status_code == 400


def test_a_duplicate_event_has_no_second_effect(
    shop_a, selling_a, pending, django_capture_on_commit_callbacks
):
    order, _ = pending
    with django_capture_on_commit_callbacks(execute=True):
        first = post_event(succeeded(order), "whsec_alpha")
        second = post_event(succeeded(order), "whsec_alpha")

    assert (first.json(), second.json()) == ({"result": "handled"}, {"result": "duplicate"})
    assert len(mail.outbox) == 1
    with tenant_context(shop_a):
        assert StripeEvent.objects.count() == 1


def test_a_payment_failure_keeps_the_order_held_for_another_card(shop_a, selling_a, pending):
    # the PaymentIntent is back to requires_payment_method: the shopper may try again
    order, _ = pending
    failed = succeeded(
        order, "evt_f", type="payment_intent.payment_failed", status="requires_payment_method"
    )

    response = post_event(failed, "whsec_alpha")

    assert response.json() == {"result": "handled"}
    order = reload(shop_a, order)
    assert (order.status, order.stock_status) == ("pending_payment", "held")
    assert stock(shop_a, selling_a) == 8


def test_a_cancelled_payment_gives_the_stock_back(shop_a, selling_a, pending, localstripe):
    order, _ = pending
    requests.post(
        f"{localstripe}/v1/payment_intents/{order.payment_intent_id}/cancel",
        headers={"Authorization": "Bearer sk_test_alpha"},
        timeout=5,
    )
    canceled = succeeded(order, "evt_c", type="payment_intent.canceled", status="canceled")

    response = post_event(canceled, "whsec_alpha")

    assert response.json() == {"result": "handled"}
    order = reload(shop_a, order)
    assert (order.status, order.stock_status, order.note) == (
        "cancelled",
        "released",
        "The payment was cancelled.",
    )
    assert stock(shop_a, selling_a) == 10


def test_a_stale_failure_after_the_payment_succeeded_changes_nothing(
    shop_a, selling_a, pending, localstripe
):
    # given the payment really succeeded at Stripe and its event was handled
    order, answer = pending
    assert pay(shopper(), answer, card_token(localstripe)).json() == {"status": "succeeded"}
    post_event(succeeded(order), "whsec_alpha")

    # when an older failure event arrives late
    failed = succeeded(
        order, "evt_old", type="payment_intent.payment_failed", status="requires_payment_method"
    )
    response = post_event(failed, "whsec_alpha")

    # then
    assert response.json() == {"result": "handled"}
    assert reload(shop_a, order).status == "paid"
    assert stock(shop_a, selling_a) == 8


def test_a_failure_event_is_checked_against_stripe_before_releasing(
    shop_a, selling_a, pending, localstripe
):
    # the success event is still on its way when a (reordered) failure event arrives
    order, answer = pending
    pay(shopper(), answer, card_token(localstripe))
    failed = succeeded(
        order, "evt_f", type="payment_intent.payment_failed", status="requires_payment_method"
    )

    post_event(failed, "whsec_alpha")
    post_event(succeeded(order, "evt_s"), "whsec_alpha")

    order = reload(shop_a, order)
    assert (order.status, order.stock_status) == ("paid", "committed")
    assert stock(shop_a, selling_a) == 8


def test_a_late_success_takes_the_stock_again_when_there_is_enough(
    shop_a, selling_a, pending, localstripe
):
    order, _ = pending
    with tenant_context(shop_a):
        order_release(order=order, to="cancelled", note="The reservation expired.")
    assert stock(shop_a, selling_a) == 10

    post_event(succeeded(order), "whsec_alpha")

    order = reload(shop_a, order)
    assert (order.status, order.stock_status) == ("paid", "committed")
    assert order.note == "Paid after its reservation had ended; the stock was reserved again."
    assert order.cancelled_at is None
    assert stock(shop_a, selling_a) == 8


@pytest.mark.parametrize("taken_meanwhile", [False, True])
def test_a_late_success_counts_its_discount_code_use_again(
    shop_a, selling_a, localstripe, taken_meanwhile
):
    """The checkout's end gave the code's use back; the payment that arrives after it was
    made with the reduction, so the use is recorded again (once), even when another
    shopper took the freed use meanwhile (the counter then stays at the code's limit)."""
    with tenant_context(shop_a):
        discount = discount_create(code="LAST1", kind="percentage", value="10", usage_limit=1)
    answer = buy(
        shopper(),
        {
            "items": [{"variant_id": selling_a.id, "quantity": 2}],
            "email": "shopper@example.com",
            "discount_code": "last1",
        },
    ).json()
    with tenant_context(shop_a):
        order = Order.objects.get(public_id=answer["order"]["id"])
        assert order.discount_amount > 0
        order_release(order=order, to="cancelled", note="The reservation expired.")
        assert Discount.objects.get(id=discount.id).uses == 0
        if taken_meanwhile:
            other = OrderFactory(pending=True, lines=[(selling_a, 1)], email="other@example.com")
            discount_redeem(code="LAST1", email="other@example.com", order_id=other.id)

    post_event(succeeded(order), "whsec_alpha")
    post_event(succeeded(order, "evt_again"), "whsec_alpha")

    order = reload(shop_a, order)
    assert order.status == "paid"
    with tenant_context(shop_a):
        assert Discount.objects.get(id=discount.id).uses == 1
        assert DiscountRedemption.objects.filter(discount=discount, order=order).count() == 1
        assert DiscountRedemption.objects.filter(discount=discount).count() == 1 + taken_meanwhile


def test_a_late_success_without_stock_is_refunded(shop_a, selling_a, pending, localstripe):
    order, answer = pending
    pay(shopper(), answer, card_token(localstripe))
    with tenant_context(shop_a):
        order_release(order=order, to="cancelled", note="The reservation expired.")
        Variant.objects.filter(id=selling_a.id).update(stock=1)

    response = post_event(succeeded(order), "whsec_alpha")

    assert response.json() == {"result": "handled"}
    order = reload(shop_a, order)
    assert (order.status, order.refunded_minor) == ("refunded", 4800)
    assert order.note == (
        "Paid after its reservation had ended and the stock had sold out: refunded."
    )
    assert stock(shop_a, selling_a) == 1


def test_an_amount_that_is_not_the_orders_does_not_pay_it(shop_a, pending):
    order, _ = pending

    post_event(succeeded(order, amount=1), "whsec_alpha")

    assert reload(shop_a, order).status == "pending_payment"


@pytest.mark.parametrize("amount", ["abc", None, [1], {"value": 1}, 10**40, 4800.5])
def test_a_signed_event_with_a_malformed_amount_is_refused_not_a_500(shop_a, pending, amount):
    order, _ = pending

    response = post_event(succeeded(order, amount=amount), "whsec_alpha")

    assert response.status_code == 400
    assert "amount" in response.json()["error"]
    assert reload(shop_a, order).status == "pending_payment"


def test_the_shop_comes_from_the_event_not_the_host(shop_a, shop_b, pending):
    order, _ = pending
    with tenant_context(shop_b):
        shop_sells("beta")

    # alpha's event sent to beta's host and to the platform host: handled in alpha
    on_beta = post_event(succeeded(order, "evt_1"), "whsec_alpha", host="beta.localhost")
    on_platform = post_event(succeeded(order, "evt_1"), "whsec_alpha", host="localhost")
    # an event naming alpha's order signed with beta's secret: refused
    forged = post_event(succeeded(order, "evt_2"), "whsec_beta", host="beta.localhost")

    assert on_beta.json() == {"result": "handled"}
    assert on_platform.json() == {"result": "duplicate"}
    assert forged.status_code == 400
    assert reload(shop_a, order).status == "paid"
    with tenant_context(shop_b):
        assert not StripeEvent.objects.exists()
        assert not Order.objects.exists()


def test_events_that_name_no_shop_are_verified_then_ignored(db, stripe_settings):
    event = intent_event(
        event_id="evt_x",
        type="payment_intent.succeeded",
        intent_id="pi_x",
        shop="",
        order="",
        amount=100,
    )

    good = post_event(event, "whsec_platform", host="localhost")
    bad = post_event(event, "whsec_other", host="localhost")

    assert good.json() == {"result": "ignored: not an Etalage order"}
    assert bad.status_code == 400


def test_an_event_for_an_unknown_order_is_recorded_and_ignored(shop_a, pending):
    order, _ = pending

    response = post_event(
        succeeded(order, order="00000000-0000-0000-0000-000000000000"), "whsec_alpha"
    )

    assert response.json() == {"result": "unknown order"}
    assert reload(shop_a, order).status == "pending_payment"


def test_connect_events_must_come_from_the_shops_connected_account(shop_a, stripe_settings):
    # given a Connect shop whose order exists
    stripe_settings.STRIPE_SECRET_KEY = "sk_test_platform"
    stripe_settings.STRIPE_PUBLISHABLE_KEY = "pk_test_platform"
    with tenant_context(shop_a):
        payment_account_connect(stripe_account_id="acct_alpha")
        variant = make_variant(stock=3)
        order = Order.objects.create(
            email="s@example.com",
            currency="EUR",
            subtotal=24,
            total=24,
            amount_minor=2400,
            payment_intent_id="pi_connect",
            stripe_account_id="acct_alpha",
        )
    event = succeeded(order, intent_id="pi_connect", amount=2400)

    other_account = post_event({**event, "account": "acct_mallory"}, "whsec_platform")
    own_account = post_event({**event, "account": "acct_alpha"}, "whsec_platform")

    assert other_account.json() == {"result": "ignored: not this shop's account"}
    assert own_account.json() == {"result": "handled"}
    assert reload(shop_a, order).status == "paid"
    assert variant.stock == 3


def test_uninteresting_event_types_are_ignored(shop_a, pending):
    order, _ = pending

    response = post_event(succeeded(order, type="charge.updated"), "whsec_alpha")

    assert response.json() == {"result": "ignored"}
