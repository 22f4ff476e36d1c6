"""Connect with Stripe in Chromium, at 390 px and 1280 px: the owner clicks Connect on
Payments, fills the (fake) Stripe onboarding, comes back to the admin, reads that the
shop can sell, and the shop's product page offers Buy now. The fake Stripe also sends
its signed account.updated to the live server's webhook. Screenshots go to
/tmp/shots-connect/<width>/ (or ETALAGE_SHOTS)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from orders.models import PaymentAccount, StripeEvent
from tests.catalog.test_admin_browser import log_in
from tests.orders.conftest import make_variant
from tests.orders.test_order_page_browser import fits_the_width

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_SHOTS") or Path(tempfile.gettempdir(), "shots-connect"))


@pytest.mark.parametrize("width", [390, 1280])
def test_merchant_connects_with_stripe_and_the_shop_can_sell(
    page, width, committed_shop, django_db_blocker, shop_server, fake_connect
):
    slug = f"connect{width}"
    shop = committed_shop(slug, "Corner Shop").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        variant = make_variant(title="Linen Apron", sku="APRON")
    fake_connect.connect_webhook_url = f"http://localhost:{shop_server}/webhooks/stripe/"
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    base = f"http://{slug}.localhost:{shop_server}"
    product_url = f"{base}/products/{variant.product.slug}/"

    # given: a shop that is not taking orders yet
    page.goto(product_url)
    assert page.get_by_text("This shop isn't taking orders yet.").is_visible()
    assert page.get_by_role("button", name="Buy now").count() == 0

    # when: the owner clicks Connect with Stripe on Payments
    log_in(page, base, slug)
    page.goto(f"{base}/admin/orders/paymentaccount/")
    panel = page.get_by_role("region", name="Stripe: your shop cannot sell yet")
    assert panel.get_by_text(
        "Your shop cannot take payments yet. Connect a Stripe account"
    ).is_visible()
    assert fits_the_width(page)
    page.screenshot(path=shots / "1-payments-before.png", full_page=True)
    page.get_by_role("button", name="Connect with Stripe").click()

    # then: Stripe's (fake) onboarding for the shop's new account
    page.wait_for_url(f"{fake_connect.url}/setup/e/**")
    assert page.get_by_role("heading", name=f"Set up payments for owner@{slug}.test").is_visible()
    page.screenshot(path=shots / "2-stripe-onboarding.png", full_page=True)

    # when: the owner fills it in and submits
    page.get_by_label("Bank account (IBAN)").fill("FR7630006000011234567890189")
    page.get_by_role("button", name="Agree and submit").click()

    # then: back on Payments, which says in words that the shop can sell
    page.wait_for_url(f"{base}/admin/orders/paymentaccount/")
    assert page.get_by_text(
        "Back from Stripe: card payments are enabled, your shop can sell."
    ).is_visible()
    panel = page.get_by_role("region", name="Stripe: your shop can sell")
    assert panel.get_by_text(
        "Your shop can sell: Stripe accepts card payments on your connected account."
    ).is_visible()
    assert panel.get_by_text("Enabled: Stripe accepts payments for your shop").is_visible()
    assert panel.get_by_text("Sent to Stripe").is_visible()
    assert panel.get_by_role("link", name="Check with Stripe again").is_visible()
    assert fits_the_width(page)
    page.screenshot(path=shots / "3-payments-after.png", full_page=True)
    with django_db_blocker.unblock(), tenant_context(shop):
        account = PaymentAccount.objects.get()
    assert (account.mode, account.charges_enabled, account.details_submitted) == (
        "connect",
        True,
        True,
    )
    assert fake_connect.accounts[account.stripe_account_id]["metadata"] == {
        "shop": shop.schema_name
    }

    # and: Stripe's account.updated reached the shop's webhook, signed, and was handled
    assert fake_connect.wait_for_delivery(1) == [("account.updated", 200)]
    with django_db_blocker.unblock(), tenant_context(shop):
        assert StripeEvent.objects.filter(type="account.updated").count() == 1

    # and: the shop page offers Buy now
    page.goto(product_url)
    assert page.get_by_role("button", name="Buy now").is_visible()
    assert fits_the_width(page)
    page.screenshot(path=shots / "4-product-buy-now.png", full_page=True)
