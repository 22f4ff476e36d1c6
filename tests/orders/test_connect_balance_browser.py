"""A Connect shop's payouts and fees in Chromium, at 390 px and 1280 px: the owner reads
the Payouts panel of Payments ("unavailable" before Stripe was asked, the payouts once
the worker's service listed them) and an order's Stripe fee, platform fee and net.
Screenshots go to /tmp/shots-fulfil/payouts-<width>/ (or ETALAGE_SHOTS)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from orders.services import order_fees_fetch, payouts_refresh
from tests.catalog.test_admin_browser import log_in
from tests.factories import OrderFactory
from tests.orders.conftest import connected_and_selling
from tests.orders.test_order_page_browser import fits_the_width

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_SHOTS") or "/tmp/shots-fulfil")  # noqa: S108


@pytest.mark.parametrize("width", [390, 1280])
def test_the_owner_reads_payouts_and_an_orders_fees(
    page, width, committed_shop, django_db_blocker, shop_server, fake_connect
):
    slug = f"payouts{width}"
    shop = committed_shop(slug, "Payout Corner").shop
    shots = SHOTS / f"payouts-{width}"
    shots.mkdir(parents=True, exist_ok=True)
    # given: the shop sells through a connected account, with a paid order and payouts
    with django_db_blocker.unblock(), tenant_context(shop):
        account_id = connected_and_selling(
            fake_connect, f"acct_payouts{width}abcdef", payouts_enabled=True
        )
        order = OrderFactory(
            stripe_account_id=account_id,
            payment_intent_id=f"pi_payouts_{width}",
            paid_at=timezone.now(),
            application_fee_minor=120,
        )
    fake_connect.charge(
        account_id,
        payment_intent_id=f"pi_payouts_{width}",
        amount=2400,
        application_fee_amount=120,
    )
    fake_connect.payout(account_id, amount=15_000, status="paid")
    fake_connect.payout(account_id, amount=4_250, status="in_transit")
    page.set_viewport_size({"width": width, "height": 900})
    base = f"http://{slug}.localhost:{shop_server}"
    log_in(page, base, slug)

    # when: the owner opens Payments before the worker asked Stripe
    page.goto(f"{base}/admin/orders/paymentaccount/")
    payouts = page.get_by_role("region", name="Payouts")
    assert payouts.get_by_text("Unavailable for now").is_visible()
    page.goto(f"{base}/admin/orders/order/{order.id}/change/")
    assert page.locator('[data-order-fees="unavailable"]').is_visible()

    # and after the worker's services asked Stripe
    with django_db_blocker.unblock(), tenant_context(shop):
        assert payouts_refresh() == 1
        assert order_fees_fetch(order_id=order.id) is False  # known already
    page.goto(f"{base}/admin/orders/paymentaccount/")
    payouts = page.get_by_role("region", name="Payouts")
    rows = payouts.get_by_role("row")
    assert rows.nth(1).inner_text().split("\t")[:2] == ["€42.50", "On its way"]
    assert rows.nth(2).inner_text().split("\t")[:2] == ["€150.00", "Paid"]
    assert fits_the_width(page)
    page.screenshot(path=shots / "1-payouts.png", full_page=True)

    # then: the order's fees and net
    page.goto(f"{base}/admin/orders/order/{order.id}/change/")
    assert page.locator('[data-order-fee="stripe"]').inner_text() == "€0.61"
    assert page.locator('[data-order-fee="platform"]').inner_text() == "€1.20"
    assert page.locator('[data-order-fee="net"]').inner_text() == "€22.19"
    assert fits_the_width(page)
    page.screenshot(path=shots / "2-order-fees.png", full_page=True)

    # when: Stripe fails on the next run, the page says so and keeps what it knew
    fake_connect.failing = True
    with django_db_blocker.unblock(), tenant_context(shop):
        assert payouts_refresh() == 0
    page.goto(f"{base}/admin/orders/paymentaccount/")
    payouts = page.get_by_role("region", name="Payouts")
    assert payouts.get_by_text("Payouts are unavailable right now").is_visible()
    assert payouts.get_by_text("€150.00").is_visible()
    assert fits_the_width(page)
    page.screenshot(path=shots / "3-payouts-unavailable.png", full_page=True)
