"""In Chromium at 390 px and 1280 px, a checkout priced by the shop: XL chosen on the
product page, added to the bag, checked out with an address, a shipping method chosen
and a discount code applied; the price changes before paying, so the shopper is shown
the new summary; paid with 4242 (localstripe). The confirmation and the admin's order
page show XL and total = lines + shipping + tax - discount, worked out here on its own."""

from __future__ import annotations

import os
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from catalog.models import Variant
from orders import services
from orders.models import DiscountRedemption
from tests.catalog.test_admin_browser import log_in
from tests.orders.pricing_helpers import zone_with_rates
from tests.orders.test_browser import fill_address, fill_card, order_when
from tests.orders.test_variant_picker_browser import picker_shop  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

# screenshots to look at; ETALAGE_SHOTS puts them elsewhere
SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-checkout"))  # noqa: S108
MINUS = "\N{MINUS SIGN}"
CENT = Decimal("0.01")


def euros(amount: Decimal) -> str:
    return f"€{amount:,.2f}"


def expected(price: str, *, shipping: str, percent_off: str, vat: str) -> dict[str, Decimal]:
    """The checkout's amounts worked out by hand: tax added at checkout on what is paid
    for the item (after the code) and for shipping, each rounded to the cent."""
    line, shipping_price = Decimal(price), Decimal(shipping)
    discount = (line * Decimal(percent_off) / 100).quantize(CENT, ROUND_HALF_UP)
    rate = Decimal(vat) / 100
    tax = (line - discount) * rate
    tax = tax.quantize(CENT, ROUND_HALF_UP) + (shipping_price * rate).quantize(CENT, ROUND_HALF_UP)
    return {
        "line": line,
        "shipping": shipping_price,
        "discount": discount,
        "tax": tax,
        "total": line + shipping_price + tax - discount,
    }


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [390, 1280])
def test_a_shopper_checks_out_xl_with_shipping_tax_and_a_code(
    browser,
    picker_shop,  # noqa: F811 (the fixture imported above)
    shop_server,
    django_db_blocker,
    width,
):
    # given a shop adding 20 % VAT at checkout, shipping to France (Colissimo 4.90,
    # Express 9.90) and the code WELCOME10
    shop, xl = picker_shop
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock(), tenant_context(shop):
        services.tax_settings_set(prices_include_tax=False)
        services.tax_rate_create(country="FR", rate="20", name="VAT")
        zone_with_rates(
            "France",
            ["FR"],
            {"name": "Colissimo", "price": "4.90"},
            {"name": "Express", "price": "9.90"},
        )
        services.discount_create(code="WELCOME10", kind="percentage", value="10")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    base = f"http://picker.localhost:{shop_server}"

    # when XL is chosen and added to the bag
    page.goto(f"{base}/products/harbour-tee/")
    page.get_by_label("Size").select_option(label="XL · €26.00")
    page.get_by_role("button", name="Add to bag").click()
    expect(page.locator("[data-bag-count]")).to_have_text("1")
    page.get_by_role("link", name="View bag (1 item)").click()
    expect(page.get_by_role("heading", name="Your bag")).to_be_visible()

    # and checked out with an address in France
    page.get_by_role("button", name="Checkout").click()
    page.get_by_label("Email", exact=True).fill(f"ada{width}@example.com")
    fill_address(page)
    rates = page.get_by_role("group", name="Shipping method")
    expect(rates.get_by_role("radio")).to_have_count(2)
    expect(rates.get_by_label("Colissimo · €4.90")).to_be_checked()  # the cheapest first
    summary = page.locator("[data-summary]")
    expect(summary).to_contain_text("Shipping (Colissimo)€4.90")
    page.screenshot(path=shots / "1-address-and-rates.png", full_page=True)
    assert fits(page)

    # and Express chosen, WELCOME10 applied
    rates.get_by_label("Express · €9.90").check()
    expect(summary).to_contain_text("Shipping (Express)€9.90")
    page.get_by_label("Discount code").fill("welcome10")
    page.get_by_role("button", name="Apply").click()
    first = expected("26.00", shipping="9.90", percent_off="10", vat="20")
    expect(page.locator("[data-code-message]")).to_have_text(
        f"Code WELCOME10 applied: {MINUS}{euros(first['discount'])}."
    )
    expect(summary).to_contain_text("1 \N{MULTIPLICATION SIGN} Harbour TeeSize: XL€26.00")
    expect(summary).to_contain_text(f"Discount (WELCOME10){MINUS}{euros(first['discount'])}")
    expect(summary).to_contain_text(f"VAT{euros(first['tax'])}")
    expect(summary).to_contain_text(f"Total{euros(first['total'])}")
    page.screenshot(path=shots / "2-summary.png", full_page=True)
    assert fits(page)

    # and the price of XL goes up before the shopper continues
    with django_db_blocker.unblock(), tenant_context(shop):
        Variant.objects.filter(pk=xl.pk).update(price=Decimal("27.00"))
    page.get_by_role("button", name="Continue to payment").click()

    # then the shopper is told, with the new summary, and nothing is held yet
    now = expected("27.00", shipping="9.90", percent_off="10", vat="20")
    expect(page.locator("[data-buy-now-message]")).to_have_text(
        f"The total has changed to {euros(now['total'])} since you saw it; check the summary, "
        "then continue to payment."
    )
    expect(summary).to_contain_text(f"Total{euros(now['total'])}")
    page.screenshot(path=shots / "3-total-changed.png", full_page=True)
    with django_db_blocker.unblock(), tenant_context(shop):
        assert Variant.objects.get(pk=xl.pk).held == 0
        assert not DiscountRedemption.objects.exists()

    # when the shopper continues and pays with 4242
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_placeholder("number").wait_for()
    paying = page.locator("[data-payment-summary]")
    expect(paying).to_contain_text("Size: XL")
    expect(paying).to_contain_text(f"Total{euros(now['total'])}")
    assert page.locator("[data-buy-now-total]").inner_text() == euros(now["total"])
    fill_card(page)
    page.screenshot(path=shots / "4-pay.png", full_page=True)
    assert fits(page)
    page.get_by_role("button", name="Pay").click()

    # then the confirmation shows XL and the amounts
    page.get_by_role("heading", name="Thank you for your order").wait_for(timeout=60_000)
    receipt = page.locator(".receipt")
    expect(receipt).to_contain_text("XL")
    expect(page.locator("[data-receipt-total]")).to_contain_text(euros(now["total"]))
    expect(receipt).to_contain_text(euros(now["shipping"]))
    expect(receipt).to_contain_text(f"{MINUS}{euros(now['discount'])}")
    expect(receipt).to_contain_text(euros(now["tax"]))
    page.screenshot(path=shots / "5-confirmation.png", full_page=True)
    assert fits(page)
    context.close()

    # and the order holds the amounts, its code counted once
    order = order_when(shop, lambda order: order.status == "paid")
    with tenant_context(shop):
        assert list(order.lines.values_list("sku", "variant_title", "quantity")) == [
            ("TEE-XL", "XL", 1)
        ]
        assert DiscountRedemption.objects.get().order_id == order.pk
    assert (
        order.subtotal,
        order.shipping_amount,
        order.discount_amount,
        order.tax_amount,
        order.total,
        order.amount_minor,
    ) == (
        now["line"],
        now["shipping"],
        now["discount"],
        now["tax"],
        now["total"],
        int(now["total"] * 100),
    )

    # and the admin's order page shows XL and the same amounts
    admin = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    log_in(admin, base, "picker")
    admin.goto(f"{base}/admin/orders/order/{order.pk}/change/")
    items = admin.get_by_role("region", name="Items")
    expect(items).to_contain_text("XL")
    expect(items).to_contain_text(f"Shipping (Express){euros(now['shipping'])}")
    expect(items).to_contain_text(f"Discount (WELCOME10){MINUS}{euros(now['discount'])}")
    expect(items).to_contain_text(f"VAT{euros(now['tax'])}")
    expect(admin.locator("[data-order-total]")).to_have_text(euros(now["total"]))
    admin.screenshot(path=shots / "6-admin-order.png", full_page=True)
    admin.context.close()
