"""In Chromium at 390 px: a bag of two products, XL chosen on one, a quantity changed
in the bag, paid in one payment (localstripe, test card 4242): one order of both
lines, XL kept, its total the sum of the lines."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from tests.orders.test_browser import fill_address, fill_card, order_when
from tests.orders.test_variant_picker_browser import picker_shop  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

# screenshots to look at; ETALAGE_SHOTS puts them elsewhere
SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-bag"))  # noqa: S108
PHONE = {"width": 390, "height": 844}


def test_a_bag_of_two_products_is_paid_in_one_payment(
    browser,
    picker_shop,  # noqa: F811 (the fixture imported above)
    shop_server,
):
    shop, xl = picker_shop
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    base = f"http://picker.localhost:{shop_server}"

    # given XL of the tee in the bag, chosen in the menu without reloading
    page.goto(f"{base}/products/harbour-tee/")
    page.get_by_label("Size").select_option(label="XL · €26.00")
    expect(page.locator("[data-price]")).to_have_text("€26.00")
    page.get_by_role("button", name="Add to bag").click()
    expect(page.get_by_role("status").filter(has_text="Added Harbour Tee (XL)")).to_have_text(
        "Added Harbour Tee (XL) to your bag. 1 item in your bag."
    )
    expect(page.locator("[data-bag-count]")).to_have_text("1")
    page.screenshot(path=SHOTS / "1-tee-xl-added.png", full_page=True)

    # and the cap (Red / S) added from its own page
    page.goto(f"{base}/products/dune-cap/")
    expect(page.locator("[data-bag-count]")).to_have_text("1")  # the bag outlives the page
    page.get_by_role("button", name="Add to bag").click()
    expect(page.locator("[data-bag-count]")).to_have_text("2")
    page.screenshot(path=SHOTS / "2-cap-added.png", full_page=True)

    # when the bag is opened, the tee's quantity changed to 2
    page.get_by_role("link", name="View bag (2 items)").click()
    expect(page.get_by_role("heading", name="Your bag")).to_be_visible()
    lines = page.get_by_role("list", name="Items in your bag").get_by_role("listitem")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("Harbour Tee")
    expect(lines.nth(0)).to_contain_text("Size: XL")
    expect(lines.nth(1)).to_contain_text("Colour: Red, Size: S")
    expect(page.locator("[data-bag-subtotal]")).to_have_text("€56.00")
    quantity = page.get_by_label("Quantity of Harbour Tee (Size: XL)")
    quantity.fill("2")
    quantity.press("Tab")
    expect(page.locator("[data-bag-subtotal]")).to_have_text("€82.00")
    expect(page.locator("[data-bag-status]")).to_have_text("Quantity changed. 3 items in your bag.")
    page.screenshot(path=SHOTS / "3-bag-quantity-changed.png", full_page=True)
    assert json.loads(page.evaluate("localStorage.getItem('etalage:bag:' + location.host)")) == [
        {"variant_id": xl.id, "quantity": 2},
        {
            "variant_id": lines.nth(1).get_attribute("data-bag-line")
            and int(lines.nth(1).get_attribute("data-bag-line")),
            "quantity": 1,
        },
    ]

    # and checked out with an address, paid with 4242 in one payment
    page.get_by_role("button", name="Checkout").click()
    page.get_by_label("Email", exact=True).fill("shopper@example.com")
    fill_address(page)
    page.screenshot(path=SHOTS / "4-checkout-address.png", full_page=True)
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_placeholder("number").wait_for()
    assert page.locator("[data-buy-now-total]").inner_text() == "€82.00"
    fill_card(page)
    page.screenshot(path=SHOTS / "5-card.png", full_page=True)
    page.get_by_role("button", name="Pay").click()
    # then the confirmation page opens, showing both lines
    page.get_by_role("heading", name="Thank you for your order").wait_for(timeout=60_000)
    expect(page.get_by_text("Red / S").first).to_be_visible()
    page.screenshot(path=SHOTS / "6-paid.png", full_page=True)

    # then one order holds both lines, XL kept, at the sum of the lines
    order = order_when(shop, lambda order: order.status == "paid")
    with tenant_context(shop):
        lines_bought = sorted(
            order.lines.values_list("sku", "variant_title", "unit_price", "quantity", "line_total")
        )
        assert [
            (sku, title, int(price), qty, int(total))
            for sku, title, price, qty, total in lines_bought
        ] == [
            ("CAP-RS", "Red / S", 30, 1, 30),
            ("TEE-XL", "XL", 26, 2, 52),
        ]
        assert order.lines.get(sku="TEE-XL").variant_id == xl.id
        assert order.shipping_address["city"] == "Paris"
    assert (order.total, order.amount_minor) == (82, 8200)
    assert sum(total for *_, total in lines_bought) == order.total
    # and the bag is empty once paid
    assert page.evaluate("localStorage.getItem('etalage:bag:' + location.host)") == "[]"
    page.goto(f"{base}/bag/")
    expect(page.locator("[data-bag-lines] li")).to_have_count(0)
    context.close()


BLOCKED_STORAGE = """Object.defineProperty(window, "localStorage", {
  get() { throw new DOMException("The frame's storage is blocked.", "SecurityError"); },
});"""


def test_in_the_embed_the_bag_works_with_storage_blocked(
    browser,
    picker_shop,  # noqa: F811 (the fixture imported above)
    shop_server,
):
    # given the embed in a browser that blocks the frame's storage (and its cookies)
    context = browser.new_context(viewport=PHONE)
    context.add_init_script(BLOCKED_STORAGE)
    page = context.new_page()
    page.goto(f"http://picker.localhost:{shop_server}/embed/?product=harbour-tee")

    # when XL is added twice
    page.get_by_label("Size").select_option(label="XL · €26.00")
    page.get_by_role("button", name="Add to bag").click()
    page.get_by_role("button", name="Add to bag").click()

    # then the bag (in memory) counts both and says so; its link stays in the embed
    expect(page.locator("[data-bag-count]")).to_have_text("2")
    expect(page.get_by_role("status").filter(has_text="Added")).to_have_text(
        "Added Harbour Tee (XL) to your bag. 2 items in your bag."
    )
    link = page.get_by_role("link", name="View bag (2 items)")
    assert link.get_attribute("href") == "/embed/?bag=1"
    assert context.cookies() == []
    page.screenshot(path=SHOTS / "embed-storage-blocked.png", full_page=True)
    context.close()
