"""In Chromium at 1,280 and 390 px: a new merchant signs up, lands on Home with the
onboarding checklist, does each step from the checklist's own links (a product, the
design, payments with their own Stripe keys against localstripe, a shipping zone and
rate, a channel in feed mode, the share and embed page) and finds the checklist complete."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from orders.payment_accounts import shop_payments
from shops.backoffice.selectors import onboarding_checklist
from shops.models import Shop

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-home"))  # noqa: S108
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def fits(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def step_status(page) -> dict[str, str]:
    steps = page.locator(".backoffice-step")
    return {
        steps.nth(index).get_attribute("data-step"): steps.nth(index).get_attribute("data-done")
        for index in range(steps.count())
    }


def go_home(page, width: str, shot: Path | None = None) -> None:
    """Home through the navigation: on a phone the Menu button opens it first."""
    if width == "phone":
        menu = page.get_by_role("button", name="Menu")
        assert menu.get_attribute("aria-expanded") == "false"
        assert not page.get_by_role("navigation", name="Back office").is_visible()
        menu.click()
        assert menu.get_attribute("aria-expanded") == "true"
    nav = page.get_by_role("navigation", name="Back office")
    assert nav.is_visible()
    if shot:
        page.screenshot(path=str(shot))
    nav.get_by_role("link", name="Home", exact=True).click()
    page.wait_for_url("**/admin/")


@pytest.fixture
def signed_up(django_db_blocker):
    slugs: list[str] = []
    yield slugs
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for shop in Shop.objects.filter(slug__in=slugs):
            shop.delete(force_drop=True)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_new_merchant_completes_the_checklist_from_home(
    browser, shop_server, stripe_settings, signed_up, django_db_blocker, settings, tmp_path, width
):
    settings.MEDIA_ROOT = tmp_path
    shots = SHOTS / width
    shots.mkdir(parents=True, exist_ok=True)
    slug = f"first-steps-{width}"
    signed_up.append(slug)
    context = browser.new_context(viewport=WIDTHS[width])
    page = context.new_page()
    base = f"http://{slug}.localhost:{shop_server}"

    # signup lands on Home, nothing done
    page.goto(f"http://localhost:{shop_server}/signup/")
    page.get_by_label("Shop name").fill("First Steps")
    page.get_by_label("Shop address").fill(slug)
    page.get_by_label("Your email").fill(f"owner@{slug}.test")
    page.get_by_label("Password").fill("pages-and-margins-99")
    page.get_by_role("button", name="Create my shop").click()
    page.wait_for_url(f"{base}/admin/")
    assert page.get_by_role("heading", name="Home", level=1).is_visible()
    assert page.get_by_role("heading", name="Set up your shop").is_visible()
    assert "0 of 6 steps done" in page.locator(".backoffice-progress").inner_text()
    assert set(step_status(page).values()) == {"no"}
    assert page.locator("[data-card=sales] .backoffice-card-figure").inner_text() == "€0.00"
    assert page.locator("[data-card=to-fulfil] .backoffice-card-figure").inner_text() == "0"
    assert fits(page)
    page.screenshot(path=str(shots / "01-home-new.png"), full_page=True)

    checklist = page.get_by_role("region", name="Set up your shop")

    # 1. a product, from the checklist's link
    checklist.get_by_role("link", name="Add a product").click()
    page.wait_for_url(f"{base}/admin/catalog/product/add/")
    assert "New products start as Draft" in page.locator("div.form-row.field-status").inner_text()
    assert page.get_by_label("Option 1 name").is_visible()
    assert fits(page), "the product form is wider than the screen"
    page.screenshot(path=str(shots / "02-product-form.png"), full_page=True)
    page.get_by_label("Title:", exact=True).fill("Harbour Tee")
    page.get_by_label("Status:", exact=True).select_option("active")
    # the variants table's fields are named after their column (static/backoffice)
    page.get_by_label("SKU (row 1)").fill("TEE-1")
    page.get_by_label("Price (row 1)", exact=True).fill("25.00")
    page.get_by_label("Stock on hand (row 1)").fill("4")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"{base}/admin/catalog/product/")
    go_home(page, width, shots / "02b-navigation.png")
    assert step_status(page)["product"] == "yes"

    # 2. the design, published from the designer
    checklist.get_by_role("link", name="Open the designer").click()
    page.wait_for_url(f"{base}/admin/storefront/design/")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_load_state()
    page.goto(f"{base}/admin/")
    assert step_status(page)["design"] == "yes"

    # 3. payments: the merchant's own Stripe keys, checked with (local) Stripe
    checklist.get_by_role("link", name="Set up payments").click()
    page.wait_for_url(f"{base}/admin/orders/paymentaccount/")
    page.get_by_role("link", name="Use your own Stripe keys instead").click()
    page.get_by_label("Publishable key").fill(f"pk_test_{width}")
    page.get_by_label("Secret key").fill(f"sk_test_{width}")
    page.get_by_label("Webhook signing secret").fill(f"whsec_{width}")
    page.screenshot(path=str(shots / "03-payments.png"), full_page=True)
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"{base}/admin/orders/paymentaccount/")
    go_home(page, width)
    assert step_status(page)["payments"] == "yes"

    # 4. shipping: a zone and its rate
    checklist.get_by_role("link", name="Add a shipping zone").click()
    page.wait_for_url(f"{base}/admin/orders/shippingzone/add/")
    page.get_by_label("Zone name").fill("Europe")
    page.get_by_label("Countries").fill("FR, BE")
    page.get_by_label("Rate name (row 1)").fill("Standard")
    page.get_by_label("Price (row 1)", exact=True).fill("4.90")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"{base}/admin/orders/shippingzone/")
    go_home(page, width)
    assert step_status(page)["shipping"] == "yes"

    # 5. a channel in feed mode (no access token: Google reads the shop's feed)
    checklist.get_by_role("link", name="Add a channel").click()
    page.wait_for_url(f"{base}/admin/channels/connection/add/")
    page.get_by_label("Channel").select_option("google")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"{base}/admin/channels/connection/**")
    go_home(page, width)
    assert step_status(page)["channel"] == "yes"

    # 6. share and embed: the page with the link and the snippet
    checklist.get_by_role("link", name="Share and embed").click()
    page.wait_for_url(f"{base}/admin/share/")
    assert page.locator("#shop-link").inner_text() == f"{base}/"
    assert f"{base}/embed.js" in page.locator("#embed-snippet").inner_text()
    assert fits(page)
    page.screenshot(path=str(shots / "04-share.png"), full_page=True)
    go_home(page, width)

    # complete
    assert page.get_by_role("heading", name="Your shop is set up").is_visible()
    assert "6 of 6 steps done" in page.locator(".backoffice-progress").inner_text()
    assert set(step_status(page).values()) == {"yes"}
    assert fits(page)
    page.screenshot(path=str(shots / "05-home-complete.png"), full_page=True)
    with django_db_blocker.unblock():
        shop = Shop.objects.get(slug=slug)
        with tenant_context(shop):
            assert onboarding_checklist().is_complete
            assert shop_payments().can_sell
    context.close()
