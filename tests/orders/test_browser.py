"""End to end in Chromium: product page → buy now → localstripe's Stripe.js stand-in →
test card → webhook from localstripe to the live server → order paid → stock down.

localstripe's Stripe.js has only the card element (no Payment Element), so the page
takes its card-element path: a card token, confirmed by the shop's server."""

import os
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from catalog.models import Variant
from catalog.services import VariantInput, product_create
from config.localstripe import localstripe_webhook
from orders import services
from orders.models import Order
from orders.payment_accounts import payment_account_set_keys
from tests.journeys.helpers import no_horizontal_overflow

pytestmark = pytest.mark.browser

# screenshots to look at; ETALAGE_SHOTS puts them elsewhere
SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-decline"))  # noqa: S108
SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def paying_shop(committed_shop, django_db_blocker, shop_server, stripe_settings, localstripe):
    """A committed shop with its own (localstripe) keys, localstripe's webhook pointed at
    the live server's platform host, and a product with 4 in stock."""
    shop = committed_shop("kiosk", "Kiosk").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        payment_account_set_keys(
            secret_key="sk_test_kiosk",
            publishable_key="pk_test_kiosk",
            webhook_secret="whsec_kiosk",
        )
        product = product_create(
            title="Harbour Tee",
            slug="harbour-tee",
            status="active",
            variants=[VariantInput(sku="TEE", price="25.00", stock=4)],
        )
        variant = product.variants.get()
    localstripe_webhook(
        localstripe,
        name="e2e",
        url=f"http://localhost:{shop_server}/webhooks/stripe/",
        secret="whsec_kiosk",
    )
    with django_db_blocker.unblock():
        yield shop, variant
    # later tests' payments are no business of this live server
    requests.post(
        f"{localstripe}/_config/webhooks/e2e",
        timeout=5,
        json={"url": "http://127.0.0.1:9/", "secret": "whsec_off", "events": []},
    )


def fill_address(page, **overrides: str) -> None:
    """Fill the buy-now form's shipping address (a physical product needs one)."""
    fields = {
        "Full name": "Ada Lovelace",
        "Address": "1 Rue de Rivoli",
        "Postal code": "75001",
        "City": "Paris",
        "Country": "FR",
        **overrides,
    }
    for label, value in fields.items():
        if label == "Country":  # a menu of the countries' names, by their codes
            page.get_by_label(label, exact=True).select_option(value)
        else:
            page.get_by_label(label, exact=True).fill(value)


def fill_card(page, number: str = "4242424242424242") -> None:
    page.get_by_placeholder("number").fill(number)
    page.get_by_placeholder("exp_month").fill("12")
    page.get_by_placeholder("exp_year").fill("40")
    page.get_by_placeholder("cvc").fill("123")
    page.get_by_placeholder("postal_code").fill("75001")


def order_when(shop, condition, timeout: float = 60) -> Order:
    deadline = time.monotonic() + timeout
    while True:
        with tenant_context(shop):
            order = Order.objects.order_by("-id").first()
        if order is not None and condition(order):
            return order
        assert time.monotonic() < deadline, f"order is {order and order.status}"
        time.sleep(0.2)


def test_a_shopper_buys_with_a_test_card(page, paying_shop, shop_server):
    shop, variant = paying_shop

    page.goto(f"http://kiosk.localhost:{shop_server}/products/harbour-tee/?utm_source=instagram")
    page.get_by_role("button", name="Buy now").click()
    assert page.get_by_role("button", name="Buy now").is_hidden()
    page.get_by_label("Quantity").fill("2")
    page.get_by_label("Email", exact=True).fill("shopper@example.com")
    # a parcel needs somewhere to go: without a city the form says so and nothing is held
    fill_address(page, City="")
    # a shop with no shipping zone ships everywhere for free, and says so (it read "No
    # shipping method for this country" with "Choose a method" in the summary)
    page.get_by_text("Shipping is free.").wait_for()
    shipping = page.locator("tfoot tr").filter(has_text="Shipping")
    assert shipping.inner_text().split() == ["Shipping", "Free"]
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_text("Enter the town or city to ship to.").wait_for()
    assert page.evaluate("document.activeElement.name") == "city"
    page.screenshot(path=SHOTS / "address-missing-city.png", full_page=True)
    with tenant_context(shop):
        assert not Order.objects.exists()
    page.get_by_label("City", exact=True).fill("Paris")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_placeholder("number").wait_for()
    assert page.locator("[data-buy-now-total]").inner_text() == "€50.00"
    fill_card(page)
    page.get_by_role("button", name="Pay").click()

    page.get_by_text("is paid; a confirmation is on its way").wait_for(timeout=60_000)
    order = order_when(shop, lambda order: order.status == "paid")
    assert (order.total, order.stock_status, order.utm_source) == (50, "committed", "instagram")
    assert order.shipping_address == {
        "name": "Ada Lovelace",
        "line1": "1 Rue de Rivoli",
        "postal_code": "75001",
        "city": "Paris",
        "country": "FR",
    }
    with tenant_context(shop):
        assert Variant.objects.get(id=variant.id).available == 2
    assert page.context.cookies() == []


@pytest.mark.parametrize("width", [390, 1280])
def test_a_declined_card_can_be_retried_in_the_same_form(page, paying_shop, shop_server, width):
    shop, variant = paying_shop
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(f"http://kiosk.localhost:{shop_server}/products/harbour-tee/")
    page.get_by_role("button", name="Buy now").click()
    page.get_by_label("Email", exact=True).fill("shopper@example.com")
    fill_address(page)
    page.screenshot(path=SHOTS / f"address-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("button", name="Continue to payment").click()
    fill_card(page, "4000000000000341")  # attaches, then the charge is declined
    page.get_by_role("button", name="Pay").click()

    # the decline is said plainly, and the order stays held for the shopper still trying
    page.get_by_text("Your card was declined; try another card.").wait_for()
    page.screenshot(path=SHOTS / f"declined-{width}.png", full_page=True)
    assert page.get_by_text("Bad request").count() == 0
    with tenant_context(shop):
        order = Order.objects.get()
        assert (order.status, order.stock_status) == ("pending_payment", "held")
        assert Variant.objects.get(id=variant.id).available == 3

    # another card in the same form, without a reload
    fill_card(page)
    page.get_by_role("button", name="Pay").click()

    page.get_by_text("is paid; a confirmation is on its way").wait_for(timeout=60_000)
    page.screenshot(path=SHOTS / f"declined-then-paid-{width}.png", full_page=True)
    paid = order_when(shop, lambda order: order.status == "paid")
    with tenant_context(shop):
        assert Order.objects.count() == 1
        assert (paid.id, paid.stock_status) == (order.id, "committed")
        sold = Variant.objects.get(id=variant.id)
        assert (sold.stock, sold.held, sold.available) == (3, 0, 3)  # taken once


def test_checkout_link_from_a_social_platform(page, paying_shop, shop_server, django_db_blocker):
    # given the shop's code SPRING (10 % off), which Meta's checkout URL carries as coupon
    shop, variant = paying_shop
    with django_db_blocker.unblock(), tenant_context(shop):
        services.discount_create(code="SPRING", kind="percentage", value="10")

    page.goto(
        f"http://kiosk.localhost:{shop_server}/checkout/"
        f"?products={variant.id}:3&coupon=SPRING&utm_source=facebook&utm_campaign=launch"
    )
    assert page.locator(f"[data-checkout-item='{variant.id}']").inner_text() == (
        "3 \N{MULTIPLICATION SIGN} Harbour Tee — €75.00"
    )
    # the code is applied by the shop as the page opens: 3 x 25.00 - 7.50
    code_message = page.locator("[data-code-message]")
    code_message.filter(has_text="Code SPRING applied: \N{MINUS SIGN}€7.50.").wait_for()
    assert page.get_by_label("Discount code").input_value() == "SPRING"
    page.get_by_label("Email", exact=True).fill("shopper@example.com")
    fill_address(page)
    page.get_by_role("button", name="Continue to payment").click()
    fill_card(page)
    assert page.locator("[data-buy-now-total]").inner_text() == "€67.50"
    page.get_by_role("button", name="Pay").click()

    page.get_by_text("is paid").wait_for(timeout=60_000)
    order = order_when(shop, lambda order: order.status == "paid")
    assert (order.utm_source, order.utm_campaign, order.coupon_code) == (
        "facebook",
        "launch",
        "SPRING",
    )
    assert (order.discount_amount, order.total) == (Decimal("7.50"), Decimal("67.50"))
    with tenant_context(shop):
        assert Variant.objects.get(id=variant.id).available == 1


def test_a_shop_without_payments_says_so(page, committed_shop, django_db_blocker, shop_server):
    shop = committed_shop("nopay", "No Pay").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        product_create(
            title="Mug",
            slug="mug",
            status="active",
            variants=[VariantInput(sku="MUG", price="9.00", stock=3)],
        )

    for path in ("/products/mug/", "/embed/?product=mug"):
        page.goto(f"http://nopay.localhost:{shop_server}{path}")

        # said up front, before the shopper fills anything in
        assert (
            page.get_by_role("status")
            .filter(has_text="This shop isn't taking orders yet.")
            .is_visible()
        )
        assert page.get_by_role("button", name="Buy now").count() == 0
        assert page.get_by_label("Email", exact=True).count() == 0
        assert page.get_by_text("In stock").is_visible()  # the product is still shown


# Stripe's own Stripe.js cannot be loaded here (no internet) and localstripe's has no
# Payment Element: this stand-in records how the page drives the Payment Element API.
PAYMENT_ELEMENT_STRIPE_JS = """
window.stripeCalls = [];
window.Stripe = function (key, options) {
  window.stripeCalls.push(["Stripe", key, options || null]);
  return {
    elements: function (options) {
      window.stripeCalls.push(["elements", options]);
      return {create: function (type) {
        window.stripeCalls.push(["create", type]);
        return {mount: function (node) {
          node.textContent = "payment element";
          window.stripeCalls.push(["mount"]);
        }};
      }};
    },
    confirmPayment: async function (args) {
      window.stripeCalls.push(["confirmPayment", args.redirect, args.confirmParams.return_url,
                               Boolean(args.elements)]);
      return {paymentIntent: {status: "succeeded"}};
    },
  };
};
"""


def test_with_stripes_own_stripe_js_the_page_uses_the_payment_element(
    page, paying_shop, shop_server, stripe_settings
):
    shop, _ = paying_shop
    stripe_settings.STRIPE_JS_URL = "http://stripe-js.localhost/v3/"
    page.route(
        "http://stripe-js.localhost/v3/",
        lambda route: route.fulfill(
            body=PAYMENT_ELEMENT_STRIPE_JS, content_type="application/javascript"
        ),
    )
    product_url = f"http://kiosk.localhost:{shop_server}/products/harbour-tee/"

    page.goto(product_url)
    page.get_by_role("button", name="Buy now").click()
    page.get_by_label("Email", exact=True).fill("shopper@example.com")
    fill_address(page)
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_text("payment element").wait_for()
    page.get_by_role("button", name="Pay").click()
    page.get_by_text("Confirming your payment").wait_for()

    with tenant_context(shop):
        order = Order.objects.get()
    calls = page.evaluate("window.stripeCalls")
    assert calls == [
        ["Stripe", "pk_test_kiosk", None],
        ["elements", {"clientSecret": order.client_secret}],
        ["create", "payment"],
        ["mount"],
        # a payment that redirects comes back to the order's confirmation
        [
            "confirmPayment",
            "if_required",
            f"http://kiosk.localhost:{shop_server}/orders/{order.public_id}/paid/",
            True,
        ],
    ]


@pytest.mark.parametrize("width", [390, 1280])
def test_a_postal_code_of_the_wrong_shape_is_refused_beside_the_field(
    page, paying_shop, shop_server, width
):
    shop, _variant = paying_shop
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"http://kiosk.localhost:{shop_server}/products/harbour-tee/")
    page.get_by_role("button", name="Buy now").click()
    page.get_by_label("Email", exact=True).fill("shopper@example.com")
    fill_address(page, **{"Postal code": "7500"})

    page.get_by_role("button", name="Continue to payment").click()

    message = "“7500” is not a postal code of France: it is 5 digits (like 75001)."
    beside = page.locator("#buy-now-postal-code-message")
    expect(beside).to_have_text(message)
    postal = page.get_by_label("Postal code", exact=True)
    expect(postal).to_have_attribute("aria-invalid", "true")
    assert postal.get_attribute("aria-describedby") == "buy-now-postal-code-message"
    assert page.evaluate("document.activeElement.name") == "postal_code"
    no_horizontal_overflow(page)
    postal.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / f"postal-code-{width}.png")
    with tenant_context(shop):
        assert not Order.objects.exists()

    # put right: the error goes and the payment form opens
    postal.fill("75001")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_placeholder("number").wait_for()
    expect(beside).to_have_text("")
