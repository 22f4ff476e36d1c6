"""Orders tell the apps above them what happened through ``orders.signals``, inside the
transaction of the change: what a subscriber writes (a webhook delivery, review requests)
commits or rolls back with the change, an error in a subscriber undoes the change, and
what reviews did on a fulfilment reaches the merchant's timeline."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context

from catalog.services import stock_hold
from orders import services, stripe_client
from orders.models import Order
from orders.payment_accounts import shop_payments
from orders.signals import order_paid
from reviews.models import ReviewRequest
from shops.webhooks.models import WebhookDelivery, WebhookEvent
from shops.webhooks.services import subscription_create
from tests.api.test_webhooks import private_allowed
from tests.factories import OrderFactory, ProductFactory


def held_order() -> Order:
    """An order awaiting payment, its one unit held, as buy-now leaves it."""
    variant = ProductFactory().variants.get()
    stock_hold(variant=variant, quantity=1)
    return OrderFactory(pending=True, lines=[(variant, 1)])


def pay(order: Order) -> Order:
    """Record Stripe's word that ``order`` is paid, as its webhook does."""
    payment = stripe_client.PaymentIntent(
        id=f"pi_signals_{order.id}",
        status="succeeded",
        amount=order.amount_minor,
        currency=order.currency,
        client_secret="",
    )
    return services.order_payment_succeeded(order=order, payment=payment, payments=shop_payments())


def test_an_order_paid_in_a_transaction_that_rolls_back_sends_no_webhook(
    shop_a, django_capture_on_commit_callbacks
):
    # given: a partner subscribed to order.paid, and an order awaiting payment
    with tenant_context(shop_a), private_allowed:
        subscription_create(url="http://127.0.0.1:9/hooks", events=["order.paid"])
        order = held_order()

        # when: the payment is recorded, then the caller's transaction fails
        with (
            django_capture_on_commit_callbacks() as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            pay(order)
            assert WebhookDelivery.objects.filter(event__type="order.paid").count() == 1
            raise RuntimeError("the caller's transaction fails")

        # then: no event, no delivery, nothing queued to send
        assert Order.objects.get(id=order.id).status == "pending_payment"
        assert not WebhookEvent.objects.filter(type="order.paid").exists()
        assert not WebhookDelivery.objects.exists()
    assert callbacks == []


def test_a_fulfilment_that_rolls_back_leaves_no_review_requests(shop_a):
    with tenant_context(shop_a):
        order = OrderFactory()  # paid

        with pytest.raises(RuntimeError), transaction.atomic():
            services.order_fulfil(order=order)
            assert ReviewRequest.objects.filter(order_line__order=order).count() == 1
            raise RuntimeError("the caller's transaction fails")

        assert Order.objects.get(id=order.id).status == "paid"
        assert not ReviewRequest.objects.filter(order_line__order=order).exists()


def test_an_error_in_a_subscriber_undoes_the_payment(shop_a):
    def subscriber_fails(sender, **details):
        raise RuntimeError("a subscriber failed")

    order_paid.connect(subscriber_fails, dispatch_uid="tests.subscriber_fails")
    try:
        with tenant_context(shop_a):
            order = held_order()

            with pytest.raises(RuntimeError, match="a subscriber failed"):
                pay(order)

            order.refresh_from_db()
            assert (order.status, order.stock_status, order.paid_at) == (
                "pending_payment",
                "held",
                None,
            )
    finally:
        order_paid.disconnect(dispatch_uid="tests.subscriber_fails")


def test_the_fulfilment_entry_says_when_the_review_requests_are_due(shop_a, settings):
    settings.REVIEWS_REQUEST_DELAY_SECONDS = 2 * 86400
    with tenant_context(shop_a):
        order = OrderFactory()

        services.order_fulfil(order=order, carrier="Colissimo")

        assert [(a.kind, a.message) for a in order.activities.all()] == [
            (
                "fulfilled",
                f"Shipped: 1 \N{MULTIPLICATION SIGN} {order.lines.get().sku}, with Colissimo. "
                "Review requests are due in 2 day(s).",
            ),
        ]
        assert ReviewRequest.objects.filter(order_line__order=order).count() == 1
