"""Wallets in Chromium, at 390 px and 1280 px: the owner of a Connect shop adds a custom
domain in Settings and reads on Payments whether Apple Pay and Google Pay are active on
it (registered at the fake Stripe as the domain was added; one host's Apple Pay
refused, with Stripe's reason). Screenshots go to /tmp/shots-wallets/<width>/ (or
ETALAGE_SHOTS)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from tests.catalog.test_admin_browser import log_in
from tests.orders.conftest import connected_and_selling
from tests.orders.test_order_page_browser import fits_the_width

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_SHOTS") or "/tmp/shots-wallets")  # noqa: S108
REFUSED = "Apple Pay could not verify this domain: it does not answer over HTTPS yet."


@pytest.mark.parametrize("width", [390, 1280])
def test_the_owner_adds_a_domain_and_reads_its_wallets(
    page, width, committed_shop, django_db_blocker, shop_server, fake_connect
):
    slug = f"wallets{width}"
    shop = committed_shop(slug, "Wallet Corner").shop
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    # given: the shop sells through a connected account
    with django_db_blocker.unblock(), tenant_context(shop):
        account_id = connected_and_selling(fake_connect, f"acct_wallets{width}abcdef")
    fake_connect.wallet_status[f"pay.{slug}-example.com"] = REFUSED
    page.set_viewport_size({"width": width, "height": 900})
    base = f"http://{slug}.localhost:{shop_server}"
    log_in(page, base, slug)

    # when: the owner opens Payments before any domain of theirs was registered
    page.goto(f"{base}/admin/orders/paymentaccount/")
    wallets = page.get_by_role("region", name="Apple Pay and Google Pay")
    assert wallets.get_by_text("Not registered yet").is_visible()
    assert fits_the_width(page)
    page.screenshot(path=shots / "1-not-registered.png", full_page=True)

    # and adds two domains of their own in Settings
    for host in (f"shop.{slug}-example.com", f"pay.{slug}-example.com"):
        page.goto(f"{base}/admin/shop-settings/")
        page.get_by_label("Your domain").fill(host)
        page.get_by_role("button", name="Add domain").click()
        assert page.get_by_text(f"Added {host}").is_visible()

    # then: Payments says where the wallets are active, and what is missing elsewhere
    page.goto(f"{base}/admin/orders/paymentaccount/")
    wallets = page.get_by_role("region", name="Apple Pay and Google Pay")
    ready = wallets.locator(f'[data-wallet-domain="shop.{slug}-example.com"]')
    refused = wallets.locator(f'[data-wallet-domain="pay.{slug}-example.com"]')
    assert ready.get_attribute("data-ready") == "yes"
    assert ready.locator("dd").all_inner_texts() == ["Active", "Active"]
    assert refused.get_attribute("data-ready") == "no"
    assert refused.locator("dd").all_inner_texts() == [REFUSED, "Active"]
    assert f"{slug}.localhost" not in wallets.inner_text()
    assert sorted(d["domain_name"] for d in fake_connect.payment_method_domains[account_id]) == [
        f"pay.{slug}-example.com",
        f"shop.{slug}-example.com",
    ]
    assert fits_the_width(page)
    wallets.scroll_into_view_if_needed()
    page.screenshot(path=shots / "2-wallets.png", full_page=True)
