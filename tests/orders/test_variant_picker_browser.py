"""In Chromium: the variant the shopper picks is the variant bought, on the product
page and in the embed, at phone and desktop widths; sold-out combinations cannot be
bought; without JavaScript the picker's form shows the chosen option.

Payment goes through localstripe's Stripe.js stand-in (card element, test card 4242)
and its webhook to the live server, as in test_browser.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from catalog.images import product_image_add
from catalog.services import VariantInput, product_create, variant_update
from config.localstripe import localstripe_webhook
from orders.payment_accounts import payment_account_set_keys
from tests.catalog.test_product_page import picture
from tests.orders.test_browser import fill_address, fill_card, order_when

pytestmark = pytest.mark.browser

# screenshots to look at; ETALAGE_SHOTS puts them elsewhere
SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-variant"))  # noqa: S108
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def picker_shop(
    committed_shop, django_db_blocker, shop_server, stripe_settings, localstripe, settings, tmp_path
):
    """A selling shop with a tee in S / M / XL at three prices (XL with its own
    picture) and a cap in colour and size whose Red / L is sold out."""
    settings.MEDIA_ROOT = tmp_path
    shop = committed_shop("picker", "Picker").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        payment_account_set_keys(
            secret_key="sk_test_picker",
            publishable_key="pk_test_picker",
            webhook_secret="whsec_picker",
        )
        tee = product_create(
            title="Harbour Tee",
            slug="harbour-tee",
            status="active",
            option1_name="Size",
            variants=[
                VariantInput(sku="TEE-S", price="24.00", stock=5, options=["S"]),
                VariantInput(sku="TEE-M", price="25.00", stock=5, options=["M"]),
                VariantInput(sku="TEE-XL", price="26.00", stock=3, options=["XL"]),
            ],
        )
        product_image_add(product=tee, file=picture("teal"), alt_text="Teal tee")
        navy = product_image_add(product=tee, file=picture("navy"), alt_text="Navy tee, XL")
        variant_update(variant=tee.variants.get(sku="TEE-XL"), image=navy)
        product_create(
            title="Dune Cap",
            slug="dune-cap",
            status="active",
            option1_name="Colour",
            option2_name="Size",
            variants=[
                VariantInput(sku="CAP-RS", price="30.00", stock=4, options=["Red", "S"]),
                VariantInput(sku="CAP-RL", price="32.00", stock=0, options=["Red", "L"]),
                VariantInput(sku="CAP-BL", price="33.00", stock=2, options=["Blue", "L"]),
            ],
        )
        xl = tee.variants.get(sku="TEE-XL")
    localstripe_webhook(
        localstripe,
        name="picker",
        url=f"http://localhost:{shop_server}/webhooks/stripe/",
        secret="whsec_picker",
    )
    with django_db_blocker.unblock():
        yield shop, xl
    requests.post(
        f"{localstripe}/_config/webhooks/picker",
        timeout=5,
        json={"url": "http://127.0.0.1:9/", "secret": "whsec_off", "events": []},
    )


@pytest.fixture(params=list(WIDTHS))
def sized_page(request, browser):
    context = browser.new_context(viewport=WIDTHS[request.param])
    page = context.new_page()
    yield request.param, page
    context.close()


@pytest.mark.parametrize("path", ["/products/harbour-tee/", "/embed/?product=harbour-tee"])
def test_the_chosen_size_is_the_size_bought(sized_page, picker_shop, shop_server, path):
    width, page = sized_page
    shop, xl = picker_shop
    where = "embed" if "embed" in path else "page"
    page.goto(f"http://picker.localhost:{shop_server}{path}")
    expect(page.locator("[data-price]")).to_have_text("€24.00")
    assert page.get_by_role("button", name="Show this option").is_hidden()  # JS applies it

    # when: XL is chosen and Buy now tapped, without any "Show this option"
    page.get_by_label("Size").select_option(label="XL · €26.00")

    # then: the page shows XL before anything is bought
    expect(page.locator("[data-price]")).to_have_text("€26.00")
    expect(page.locator("[data-availability]")).to_have_text("In stock: only 3 left")
    expect(page.get_by_role("status").filter(has_text="€26.00")).to_be_visible()
    assert f"variant={xl.id}" in page.url
    gallery = page.locator("[data-gallery]")
    page.wait_for_function(  # the XL picture is scrolled into the gallery's view
        """() => { const g = document.querySelector('[data-gallery]').getBoundingClientRect();
                   const img = document.querySelector('img[alt="Navy tee, XL"]');
                   const r = img.getBoundingClientRect();
                   return r.left >= g.left - 2 && r.right <= g.right + 2; }"""
    )
    assert gallery.get_by_alt_text("Navy tee, XL").is_visible()
    page.screenshot(path=SHOTS / f"{where}-{width}-xl-chosen.png", full_page=True)

    page.get_by_role("button", name="Buy now").click()
    page.get_by_label("Email", exact=True).fill("shopper@example.com")
    fill_address(page)
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_placeholder("number").wait_for()
    assert page.locator("[data-buy-now-total]").inner_text() == "€26.00"
    fill_card(page)
    page.get_by_role("button", name="Pay").click()
    page.get_by_text("is paid; a confirmation is on its way").wait_for(timeout=60_000)
    page.screenshot(path=SHOTS / f"{where}-{width}-paid.png", full_page=True)

    order = order_when(shop, lambda order: order.status == "paid")
    with tenant_context(shop):
        line = order.lines.get()
        assert (line.variant_id, line.sku, line.variant_title, line.unit_price) == (
            xl.id,
            "TEE-XL",
            "XL",
            26,
        )
    assert (order.total, order.amount_minor) == (26, 2600)


@pytest.mark.parametrize("path", ["/products/harbour-tee/", "/embed/?product=harbour-tee"])
def test_a_size_chosen_before_the_script_ran_is_the_size_bought(
    page, picker_shop, shop_server, path
):
    # given: the picker's script held back (a slow network), so the shopper's change of
    # the menu happens before it can listen
    _shop, xl = picker_shop
    held = []
    page.route("**/catalog/variant_picker*.js", lambda route: held.append(route))
    # (a deferred script held back holds DOMContentLoaded too: wait for the menu only)
    page.goto(f"http://picker.localhost:{shop_server}{path}", wait_until="commit")
    page.get_by_label("Size").select_option("XL")
    buy = page.get_by_role("button", name="Buy now")
    assert buy.get_attribute("data-variant") != str(xl.id)  # rendered for S

    # when: the script arrives
    assert held, "the picker's script was not requested"
    held[0].continue_()

    # then: the buttons buy what the menu shows, and the page says so
    expect(buy).to_have_attribute("data-variant", str(xl.id))
    expect(page.locator("[data-price]")).to_have_text("€26.00")


def test_a_sold_out_combination_is_marked_and_cannot_be_bought(page, picker_shop, shop_server):
    page.set_viewport_size(WIDTHS["phone"])
    page.goto(f"http://picker.localhost:{shop_server}/products/dune-cap/")
    expect(page.locator("[data-price]")).to_have_text("€30.00")
    sizes = page.get_by_label("Size")
    # with Red chosen, each size says what it leads to
    assert sizes.locator("option").all_inner_texts() == ["S · €30.00", "L · €32.00 (out of stock)"]

    sizes.select_option("L")

    expect(page.locator("[data-availability]")).to_have_text(
        "Out of stock in this option (Red / L)"
    )
    expect(page.locator("[data-price]")).to_have_text("€32.00")
    buy = page.get_by_role("button", name="Buy now")
    assert buy.is_disabled()
    page.screenshot(path=SHOTS / "cap-390-red-l-sold-out.png", full_page=True)

    # Blue comes only in L: Blue / S is not a variant at all
    page.get_by_label("Colour").select_option("Blue")
    expect(page.locator("[data-price]")).to_have_text("€33.00")
    assert buy.is_enabled()
    assert sizes.locator("option").all_inner_texts() == ["S (not available)", "L · €33.00"]
    sizes.select_option("S")
    expect(page.locator("[data-availability]")).to_have_text(
        "Not available in this combination; choose another option."
    )
    assert page.locator("[data-price]").is_hidden()
    assert buy.is_disabled()
    page.screenshot(path=SHOTS / "cap-390-blue-s-missing.png", full_page=True)


def test_an_option_changed_after_reserving_starts_the_payment_over(page, picker_shop, shop_server):
    shop, xl = picker_shop
    page.goto(f"http://picker.localhost:{shop_server}/products/harbour-tee/")
    page.get_by_role("button", name="Buy now").click()
    page.get_by_label("Email", exact=True).fill("shopper@example.com")
    fill_address(page)
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_placeholder("number").wait_for()
    assert page.locator("[data-buy-now-total]").inner_text() == "€24.00"

    page.get_by_label("Size").select_option(label="XL · €26.00")
    page.get_by_text("You changed the option").wait_for()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_placeholder("number").wait_for()
    expect(page.locator("[data-buy-now-total]")).to_have_text("€26.00")
    fill_card(page)
    page.get_by_role("button", name="Pay").click()
    page.get_by_text("is paid").wait_for(timeout=60_000)

    order = order_when(shop, lambda order: order.status == "paid")
    with tenant_context(shop):
        assert list(order.lines.values_list("variant_id", flat=True)) == [xl.id]


@pytest.mark.parametrize("path", ["/products/harbour-tee/", "/embed/?product=harbour-tee"])
def test_without_javascript_the_form_shows_the_chosen_option(
    browser, picker_shop, shop_server, path
):
    _, xl = picker_shop
    context = browser.new_context(java_script_enabled=False, viewport=WIDTHS["phone"])
    page = context.new_page()
    try:
        page.goto(f"http://picker.localhost:{shop_server}{path}")
        page.get_by_label("Size").select_option(label="XL · €26.00")
        page.get_by_role("button", name="Show this option").click()
        page.wait_for_url("**option1=XL")

        assert page.locator("[data-price]").inner_text() == "€26.00"
        assert page.get_by_role("button", name="Buy now").get_attribute("data-variant") == str(
            xl.id
        )
        assert page.locator("[data-gallery] img").first.get_attribute("alt") == "Navy tee, XL"
        where = "embed" if "embed" in path else "page"
        page.screenshot(path=SHOTS / f"nojs-{where}-390-xl.png", full_page=True)
    finally:
        context.close()
