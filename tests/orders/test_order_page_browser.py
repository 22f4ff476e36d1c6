"""In Chromium, on the real admin of a committed shop, at phone and desktop widths: the
merchant fulfils a paid order, refunds one item of another (after confirming) and
cancels an unpaid one (after confirming); the page says so, the database holds it,
and the shopper's emails went out (the live server runs in this process, so Django's
locmem outbox sees them). Screenshots go to /tmp/shots-orderpage/<width>/."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from catalog.models import Variant
from catalog.services import VariantInput, product_create
from orders.models import Order
from reviews.models import ReviewRequest
from tests.catalog.test_admin_browser import log_in
from tests.orders.conftest import buy, paid_order, shop_sells, shopper

pytestmark = pytest.mark.browser

# ETALAGE_SHOTS names the folder; by default one under the system's temporary folder
SHOTS = Path(os.environ.get("ETALAGE_SHOTS") or Path(tempfile.gettempdir(), "shots-orderpage"))
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 Rue des Lilas",
    "postal_code": "75011",
    "city": "Paris",
    "country": "FR",
}


def wait_for_mail(subject: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while subject not in [message.subject for message in mail.outbox]:
        assert time.monotonic() < deadline, [message.subject for message in mail.outbox]
        time.sleep(0.1)


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [390, 1280])
def test_merchant_fulfils_refunds_and_cancels_in_the_browser(
    page, width, committed_shop, django_db_blocker, shop_server, stripe_settings, localstripe
):
    slug = f"counter{width}"
    shop = committed_shop(slug, "Counter").shop
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        with tenant_context(shop):
            shop_sells(slug)
            product = product_create(
                title="Linen Shirt",
                status="active",
                variants=[
                    VariantInput(sku="SHIRT-M", price="22.00", stock=10, options=["Blue", "M"])
                ],
            )
            shirt = product.variants.get()
        to_fulfil = paid_order(shop, slug, [(shirt, 1)], localstripe, ADDRESS)
        to_refund = paid_order(shop, slug, [(shirt, 2)], localstripe, ADDRESS)
        answer = buy(
            shopper(slug),
            {"items": [{"variant_id": shirt.id, "quantity": 3}], "email": "late@example.com"},
        ).json()
        with tenant_context(shop):
            to_cancel = Order.objects.get(public_id=answer["order"]["id"])
            refund_line = to_refund.lines.get()
    page.set_viewport_size({"width": width, "height": 900})
    base = f"http://{slug}.localhost:{shop_server}"
    log_in(page, base, slug)
    mail.outbox.clear()

    # fulfil
    page.goto(f"{base}/admin/orders/order/{to_fulfil.id}/change/")
    assert page.locator("[data-order-total]").inner_text() == "€22.00"
    assert page.get_by_text("12 Rue des Lilas").is_visible()
    assert fits_the_width(page)
    page.screenshot(path=shots / "1-paid-order.png", full_page=True)
    page.get_by_label("Carrier").fill("Colissimo")
    page.get_by_label("Tracking number").fill("LP123456789FR")
    page.get_by_role("button", name="Fulfil and email the shopper").click()
    page.get_by_text(f"Order {to_fulfil.number} is fulfilled").wait_for()
    assert page.locator("[data-order-status]").inner_text() == "Fulfilled"
    wait_for_mail(f"Your order {to_fulfil.number} is on its way")
    page.reload()  # the email's timeline entry is written by the task, after the redirect
    assert page.get_by_text(f"“Your order {to_fulfil.number} is on its way”").is_visible()
    assert fits_the_width(page)
    page.screenshot(path=shots / "2-fulfilled.png", full_page=True)
    with django_db_blocker.unblock(), tenant_context(shop):
        fulfilled = Order.objects.get(id=to_fulfil.id)
        assert (fulfilled.status, fulfilled.carrier, fulfilled.tracking_number) == (
            "fulfilled",
            "Colissimo",
            "LP123456789FR",
        )
        assert ReviewRequest.objects.filter(order_line__order=fulfilled).count() == 1

    # refund one of two shirts, and put it back in stock
    page.goto(f"{base}/admin/orders/order/{to_refund.id}/change/")
    page.get_by_label("Refund how many Linen Shirt").fill("1")
    page.get_by_label("Return how many Linen Shirt to stock").fill("1")
    page.get_by_role("button", name="Refund…").click()
    page.get_by_role("heading", name=f"Refund €22.00 of order {to_refund.number}?").wait_for()
    assert page.get_by_text("Back in stock: 1 \N{MULTIPLICATION SIGN} Linen Shirt.").is_visible()
    assert fits_the_width(page)
    page.screenshot(path=shots / "3-refund-confirm.png", full_page=True)
    page.get_by_role("button", name="Yes, refund €22.00").click()
    page.get_by_text(
        re.compile("refund sent through Stripe; 1 item\\(s\\) back in stock")
    ).wait_for()
    assert page.locator("[data-order-refunded]").inner_text() == "\N{MINUS SIGN}€22.00"
    assert page.locator("[data-order-status]").inner_text() == "Partially refunded"
    wait_for_mail(f"Your order {to_refund.number} was refunded")
    page.screenshot(path=shots / "4-refunded.png", full_page=True)
    with django_db_blocker.unblock(), tenant_context(shop):
        refunded = Order.objects.get(id=to_refund.id)
        assert (refunded.status, refunded.refunded_minor) == ("partially_refunded", 2200)
        assert refunded.lines.get(id=refund_line.id).restocked_quantity == 1

    # cancel the unpaid checkout: not an order yet, its page is the checkout's
    page.goto(f"{base}/admin/orders/order/{to_cancel.id}/change/")
    page.get_by_role("heading", name=f"Checkout {to_cancel.number}").wait_for()
    assert page.get_by_role("button", name="Refund…").count() == 0
    page.get_by_role("button", name="Cancel this checkout").click()
    page.get_by_role("heading", name=f"Cancel order {to_cancel.number}?").wait_for()
    page.screenshot(path=shots / "5-cancel-confirm.png", full_page=True)
    page.get_by_role("button", name="Yes, cancel the order").click()
    page.get_by_text(f"Order {to_cancel.number} is cancelled; its stock is back.").wait_for()
    assert page.get_by_role("button", name="Cancel this checkout").count() == 0
    assert fits_the_width(page)
    page.screenshot(path=shots / "6-cancelled.png", full_page=True)
    with django_db_blocker.unblock(), tenant_context(shop):
        assert Order.objects.get(id=to_cancel.id).status == "cancelled"
        # 10 - 1 fulfilled - 2 refunded order + 1 back; the cancelled 3 are back
        assert Variant.objects.get(id=shirt.id).available == 8
