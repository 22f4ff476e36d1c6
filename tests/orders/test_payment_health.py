"""Payment health: a wrong webhook secret shows on the admin, and the health task settles
the paid order anyway; the owner is emailed once when payments break and once when they
recover; one shop never sees another's failures."""

from __future__ import annotations

from datetime import timedelta

import requests
from django.core import mail
from django.db.models import F
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.models import Variant
from orders.models import Order, OrderEmail, PaymentHealth
from orders.payment_accounts import payment_account_set_keys
from orders.selectors import payment_health_report
from orders.services import payment_health_webhook_received, payments_settle_held
from shops.models import Shop
from tests.conftest import owner_client
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
from tests.orders.test_connect import deliver, started

ENDPOINT_SECRET = "whsec_what_stripe_signs_with"
WRONG_SECRET = "whsec_alpha"
ADVICE = "The webhook secret in Payments does not match the endpoint&#x27;s"


def paid_at_stripe(shop: Shop, variant: Variant, localstripe: str, slug: str = "alpha") -> Order:
    """An order for 2 of ``variant`` whose card payment succeeded at localstripe."""
    answer = buy(
        shopper(slug),
        {"items": [{"variant_id": variant.id, "quantity": 2}], "email": "shopper@example.com"},
    ).json()
    assert (
        pay(shopper(slug), answer, card_token(localstripe, key=f"pk_test_{slug}")).status_code
        == 200
    )
    with tenant_context(shop):
        return Order.objects.get(public_id=answer["order"]["id"])


def succeeded_event(order: Order, event_id: str, slug: str = "alpha") -> dict:
    return intent_event(
        event_id=event_id,
        type="payment_intent.succeeded",
        intent_id=order.payment_intent_id,
        shop=f"shop_{slug}",
        order=str(order.public_id),
        amount=order.amount_minor,
    )


def webhook(event: dict, secret: str):
    return Client(HTTP_HOST="alpha.localhost").post("/webhooks/stripe/", **signed(event, secret))


def health(shop: Shop) -> PaymentHealth:
    with tenant_context(shop):
        return PaymentHealth.objects.filter(id=1).first() or PaymentHealth()


def owner_mails(shop: Shop) -> list[str]:
    return [m.subject for m in mail.outbox if m.to == [shop.owner_email]]


def test_a_wrong_webhook_secret_shows_on_the_admin_and_the_health_task_settles_the_order(
    shop_a, shop_b, selling_a, localstripe, django_capture_on_commit_callbacks
):
    # given: a payment that succeeded at Stripe, its event signed with the endpoint's
    # secret, which is not the one the shop saved
    order = paid_at_stripe(shop_a, selling_a, localstripe)
    mail.outbox.clear()

    # when: Stripe delivers the event
    response = webhook(succeeded_event(order, "evt_health_1"), ENDPOINT_SECRET)

    # then: refused, counted for shop alpha only, the order still held
    assert response.status_code == 400
    assert health(shop_a).bad_signature_count == 1
    assert health(shop_b).bad_signature_count == 0
    with tenant_context(shop_a):
        order.refresh_from_db()
        assert (order.status, order.stock_status) == ("pending_payment", "held")
    alpha_page = owner_client("alpha").get("/admin/orders/paymentaccount/").content.decode()
    assert ADVICE in alpha_page
    assert 'data-payment-health="broken"' in alpha_page
    beta_page = owner_client("beta").get("/admin/orders/paymentaccount/").content.decode()
    assert 'data-payment-health="healthy"' in beta_page
    assert ADVICE not in beta_page
    assert (
        "Payments: 1 webhook request(s)"
        in owner_client("alpha").get("/admin/orders/order/").content.decode()
    )

    # a fresh order is left to its webhook for now
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        assert payments_settle_held() == 0

    # when: the health task runs near the end of the reservation (twice)
    near_expiry = order.reserved_until - timedelta(minutes=1)
    for _ in range(2):
        with tenant_context(shop_b), django_capture_on_commit_callbacks(execute=True):
            assert payments_settle_held(now=near_expiry) == 0
        with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
            payments_settle_held(now=near_expiry)

    # then: paid, stock sold, the shopper confirmed once, the owner told once
    with tenant_context(shop_a):
        order.refresh_from_db()
        assert (order.status, order.stock_status) == ("paid", "committed")
        assert Variant.objects.get(id=selling_a.id).stock == 8
        assert OrderEmail.objects.filter(order=order, kind="confirmation").count() == 1
        report = payment_health_report()
    assert [m.subject for m in mail.outbox if m.to == ["shopper@example.com"]] == [
        f"Your order {order.number} is confirmed"
    ]
    assert owner_mails(shop_a) == [f"Payments at {shop_a.name} are not reaching the shop"]
    assert owner_mails(shop_b) == []
    assert (report.unsettled_count, report.unsettled_last_order) == (1, order.number)
    assert report.is_broken and not health(shop_b).is_broken
    page = owner_client("alpha").get("/admin/orders/paymentaccount/").content.decode()
    assert "1 payment(s) succeeded at Stripe without their event" in page

    # when: the merchant saves the endpoint's secret and Stripe redelivers the event
    with tenant_context(shop_a):
        payment_account_set_keys(
            secret_key="sk_test_alpha",
            publishable_key="pk_test_alpha",
            webhook_secret=ENDPOINT_SECRET,
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook(succeeded_event(order, "evt_health_1"), ENDPOINT_SECRET).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook(succeeded_event(order, "evt_health_2"), ENDPOINT_SECRET).status_code == 200

    # then: one "work again" email, no second confirmation, the health page clear
    assert owner_mails(shop_a) == [
        f"Payments at {shop_a.name} are not reaching the shop",
        f"Payments at {shop_a.name} work again",
    ]
    with tenant_context(shop_a):
        assert OrderEmail.objects.filter(order=order).count() == 1
        assert health(shop_a).last_webhook_type == "payment_intent.succeeded"
        assert not health(shop_a).is_broken
    page = owner_client("alpha").get("/admin/orders/paymentaccount/").content.decode()
    assert 'data-payment-health="healthy"' in page
    assert "Payments:" not in owner_client("alpha").get("/admin/orders/order/").content.decode()


def test_a_refused_request_naming_no_order_of_the_shop_is_only_a_hint(
    shop_a, shop_b, selling_a, localstripe, stripe_settings
):
    # given: a real order of alpha, and beta selling too
    order = paid_at_stripe(shop_a, selling_a, localstripe)
    with tenant_context(shop_b):
        shop_sells("beta")
        make_variant()

    # when: a badly signed request names beta but alpha's order, and one names nothing
    forged = succeeded_event(order, "evt_forged", slug="beta")
    assert webhook(forged, "whsec_forger").status_code == 400

    # then: beta counts a hint, never a bad signature; alpha counts nothing
    assert (health(shop_b).bad_signature_count, health(shop_b).unmatched_signature_count) == (0, 1)
    assert health(shop_a).bad_signature_count == health(shop_a).unmatched_signature_count == 0
    beta_page = owner_client("beta").get("/admin/orders/paymentaccount/").content.decode()
    assert 'data-payment-health="healthy"' in beta_page
    assert "nothing was done with them" in beta_page


def test_a_cancelled_payment_is_released_by_the_health_task(
    shop_a, selling_a, localstripe, django_capture_on_commit_callbacks
):
    answer = buy(
        shopper(),
        {"items": [{"variant_id": selling_a.id, "quantity": 3}], "email": "shopper@example.com"},
    ).json()
    with tenant_context(shop_a):
        order = Order.objects.get(public_id=answer["order"]["id"])
    cancelled = requests.post(
        f"{localstripe}/v1/payment_intents/{order.payment_intent_id}/cancel",
        auth=("sk_test_alpha", ""),
        timeout=5,
    )
    assert cancelled.json()["status"] == "canceled"

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        assert payments_settle_held(now=order.reserved_until - timedelta(minutes=1)) == 1
        order.refresh_from_db()
        assert (order.status, order.stock_status) == ("cancelled", "released")
        assert Variant.objects.get(id=selling_a.id).stock == 10
        assert not payment_health_report().is_broken


def test_bad_signatures_are_counted_over_24_hours_in_one_row(shop_a, selling_a, localstripe):
    order = paid_at_stripe(shop_a, selling_a, localstripe)
    for number in range(3):
        assert (
            webhook(succeeded_event(order, f"evt_bad_{number}"), ENDPOINT_SECRET).status_code == 400
        )
    with tenant_context(shop_a):
        assert PaymentHealth.objects.count() == 1
        assert payment_health_report().bad_signatures_24h == 3
        PaymentHealth.objects.update(
            bad_signature_since=F("bad_signature_since") - timedelta(hours=25),
            bad_signature_last_at=F("bad_signature_last_at") - timedelta(hours=25),
        )
        assert payment_health_report().bad_signatures_24h == 0
    assert webhook(succeeded_event(order, "evt_bad_late"), ENDPOINT_SECRET).status_code == 400
    with tenant_context(shop_a):
        assert payment_health_report().bad_signatures_24h == 1


def test_the_beat_runs_the_health_task_in_every_shop(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["orders-payments-settle-held"]
    assert (entry["task"], entry["args"]) == (
        "shops.for_each_shop",
        ["orders.payments_settle_held"],
    )


def test_account_updated_is_no_proof_that_payments_work(shop_a, fake_connect):
    # given: a Connect shop whose payments were found broken
    account_id = started(shop_a, "alpha")
    fake_connect.complete(account_id)
    with tenant_context(shop_a):
        PaymentHealth.objects.create(
            id=1, is_broken=True, broken_since=timezone.now(), owner_told_broken=True
        )

    # when: the platform's endpoint receives the account's account.updated, verified
    body, signature = fake_connect.account_event(account_id, secret="whsec_platform")
    assert deliver(body, signature).json() == {"result": "handled"}

    # then: handled, but no webhook is recorded as received and payments stay broken
    assert health(shop_a).last_webhook_at is None
    assert health(shop_a).is_broken
    page = owner_client("alpha").get("/admin/orders/paymentaccount/").content.decode()
    assert 'data-payment-health="broken"' in page
    assert owner_mails(shop_a) == []


def test_only_a_payments_event_counts_as_the_last_webhook_received(shop_a):
    with tenant_context(shop_a):
        for event_type in ("account.updated", "customer.created", "balance.available"):
            assert payment_health_webhook_received(event_type=event_type) is False
        assert not PaymentHealth.objects.exists()
        assert payment_health_webhook_received(event_type="charge.refunded") is True
        assert payment_health_report().last_webhook_type == "charge.refunded"
