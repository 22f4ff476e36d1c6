"""Payouts and fees of a Connect shop: each payment's Stripe fee, platform fee and net
(its charge's balance transaction) and the connected account's payouts, fetched by the
worker's services from the fake Stripe (tests/orders/fake_stripe_connect.py) with the
``Stripe-Account`` header, shown by the admin without a call to Stripe, "unavailable"
when Stripe could not say; another shop sees none of it."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from orders import stripe_client
from orders.models import Order, PaymentAccount
from orders.services import order_fees_fetch, payouts_refresh
from tests.conftest import owner_client
from tests.factories import OrderFactory
from tests.orders.test_connect import started

PAYMENTS = "/admin/orders/paymentaccount/"


@pytest.fixture
def connected_a(shop_a, fake_connect) -> str:
    """Shop alpha selling through a connected account (onboarding done): its id."""
    account_id = started(shop_a, "alpha")
    fake_connect.complete(account_id)
    owner_client("alpha").get(f"{PAYMENTS}connect/return/")  # the state read back
    with tenant_context(shop_a):
        assert PaymentAccount.objects.get().charges_enabled
    return account_id


def connect_order(account_id: str, intent: str = "pi_connect_1") -> Order:
    return OrderFactory(
        stripe_account_id=account_id,
        payment_intent_id=intent,
        paid_at=timezone.now(),
        application_fee_minor=120,
    )


def test_an_orders_fees_and_net_come_from_its_balance_transaction(
    shop_a, fake_connect, connected_a
):
    # given: a paid Connect order of €24.00, its charge at Stripe (fee 1.5% + €0.25,
    # the platform's €1.20)
    with tenant_context(shop_a):
        order = connect_order(connected_a)
    fake_connect.charge(
        connected_a, payment_intent_id="pi_connect_1", amount=2400, application_fee_amount=120
    )
    page = owner_client().get(f"/admin/orders/order/{order.id}/change/").content.decode()
    assert 'data-order-fees="unavailable"' in page  # not asked yet: said so

    # when: the worker asks Stripe
    with tenant_context(shop_a):
        assert order_fees_fetch(order_id=order.id) is True
        assert order_fees_fetch(order_id=order.id) is False  # known: not asked again
        order.refresh_from_db()

    # then: kept on the order and shown on its page, no call to Stripe to show it
    assert (order.stripe_fee_minor, order.application_fee_minor, order.net_minor) == (
        61,
        120,
        2219,
    )
    calls = len(fake_connect.requests)
    page = owner_client().get(f"/admin/orders/order/{order.id}/change/").content.decode()
    assert '<dd data-order-fee="stripe">€0.61</dd>' in page
    assert '<dd data-order-fee="platform">€1.20</dd>' in page
    assert '<dd data-order-fee="net">€22.19</dd>' in page
    charge_calls = [r for r in fake_connect.requests if r["path"] == "/v1/charges"]
    assert len(charge_calls) == 1 and charge_calls[0]["form"]["payment_intent"] == "pi_connect_1"
    assert len(fake_connect.requests) <= calls + 1  # the page's own account read, if any


def test_a_charge_not_on_the_shops_account_leaves_the_fees_unknown(
    shop_a, fake_connect, connected_a
):
    # the same PaymentIntent id charged on another connected account
    other = fake_connect._account("acct_other0000000001", "standard", {}, "")
    fake_connect.accounts[other["id"]] = other
    fake_connect.charge(other["id"], payment_intent_id="pi_connect_1", amount=2400)
    with tenant_context(shop_a):
        order = connect_order(connected_a)
        assert order_fees_fetch(order_id=order.id) is False
        order.refresh_from_db()
    assert (order.fees_checked_at, order.net_minor) == (None, None)


def test_payouts_are_listed_by_the_worker_and_shown_unavailable_when_stripe_fails(
    shop_a, fake_connect, connected_a
):
    # given: two payouts of the connected account, and a paid order whose fees are unknown
    fake_connect.payout(connected_a, amount=5000, status="paid")
    fake_connect.payout(connected_a, amount=2219, status="in_transit")
    with tenant_context(shop_a):
        order = connect_order(connected_a, intent="pi_connect_2")
    fake_connect.charge(connected_a, payment_intent_id="pi_connect_2", amount=2400)
    before = owner_client().get(PAYMENTS).content.decode()
    assert "data-payouts" in before and "Unavailable for now" in before

    # when: the beat's task runs in the shop
    with tenant_context(shop_a):
        assert payouts_refresh() == 1  # the order's fees became known too
        assert Order.objects.get(id=order.id).net_minor == 2400 - 61

    # then: the Payments page lists them, newest first
    page = owner_client().get(PAYMENTS).content.decode()
    assert page.index("€22.19") < page.index("€50.00")
    assert "On its way" in page and "<td>Paid</td>" in page

    # when: Stripe fails on the next run
    fake_connect.failing = True
    with tenant_context(shop_a):
        assert payouts_refresh() == 0

    # then: the page says so, and still shows what Stripe said last
    page = owner_client().get(PAYMENTS).content.decode()
    assert "Payouts are unavailable right now: Stripe could not be reached" in page
    assert "€50.00" in page


def test_stripe_unreachable_for_fees_is_retryable_and_writes_nothing(
    shop_a, fake_connect, connected_a
):
    with tenant_context(shop_a):
        order = connect_order(connected_a)
    fake_connect.failing = True
    with tenant_context(shop_a), pytest.raises(stripe_client.PaymentRetryableError):
        order_fees_fetch(order_id=order.id)
    with tenant_context(shop_a):
        assert Order.objects.get(id=order.id).fees_checked_at is None


def test_shop_b_sees_no_payouts_or_fees_of_shop_a(shop_a, shop_b, fake_connect, connected_a):
    fake_connect.payout(connected_a, amount=5000)
    with tenant_context(shop_a):
        payouts_refresh()
    with tenant_context(shop_b):
        assert payouts_refresh() == 0  # no connected account: nothing asked
        assert not PaymentAccount.objects.exists()
    page_b = owner_client("beta").get(PAYMENTS).content.decode()
    assert "data-payouts" not in page_b and "€50.00" not in page_b
    # beta's key cannot read alpha's account at Stripe either
    refused = stripe_client.Credentials(
        secret_key="sk_test_beta_own", publishable_key="pk", account_id=connected_a
    )
    fake_connect.merchant_key("sk_test_beta_own")
    with pytest.raises(stripe_client.PaymentPermissionError):
        stripe_client.payouts_list(credentials=refused)
