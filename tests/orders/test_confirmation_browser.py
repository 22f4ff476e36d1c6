"""In Chromium, at phone and desktop widths: a shopper buys a tee in XL with the test
card (localstripe's Stripe.js stand-in, its webhook to the live server's platform
host), lands on the confirmation page, opens the order page from the confirmation
email (sent while handling that webhook, so its link is made on the platform host; the
live server runs in this process: Django's locmem outbox holds it), and sees the
tracking number once the merchant has shipped. The same purchase inside the embed's
iframe on another site ends on the confirmation inside the frame.

Screenshots go to the test's temporary folder (``shots/``); they are printed at the end.
"""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from django_tenants.utils import tenant_context
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from orders.models import Order
from orders.services import order_fulfil
from shops.storefront import services as storefront_services
from tests.orders.test_browser import fill_address, fill_card, order_when
from tests.orders.test_variant_picker_browser import picker_shop  # noqa: F401 (fixture)
from tests.storefront.test_embed_browser import FRAME, HostPages

pytestmark = pytest.mark.browser

WIDTHS = {390: 844, 1280: 900}
ORDER_LINK = re.compile(r"http://[a-z0-9-]+\.localhost(/orders/[^/\s]+/)")


def buy_xl(page) -> None:
    """On the tee's product page (or its frame): XL, Buy now, address, card 4242, Pay."""
    page.get_by_label("Size").select_option(label="XL · €26.00")
    page.get_by_role("button", name="Buy now").click()
    page.get_by_label("Email", exact=True).fill("ada@example.com")
    fill_address(page)
    page.get_by_role("button", name="Continue to payment").click()
    try:
        page.get_by_placeholder("number").wait_for()
    except PlaywrightTimeout:
        # say what the form said instead (this wait timed out twice on a loaded machine
        # in whole-suite runs on the embedded default, never alone)
        said = page.locator("[role=status], [role=alert], .is-error").all_inner_texts()
        raise AssertionError(
            f"no card form after Continue to payment; the form says {said}"
        ) from None
    fill_card(page)
    page.get_by_role("button", name="Pay").click()


def confirmation_email(number: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    subject = f"Your order {number} is confirmed"
    while True:
        found = [message for message in mail.outbox if message.subject == subject]
        if found:
            return found[0]
        assert time.monotonic() < deadline, [message.subject for message in mail.outbox]
        time.sleep(0.1)


def wait_for(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.1)


def frame_fits(page, frame) -> bool:
    """Whether the embed's iframe is as tall as the page inside it."""
    content = frame.locator("html").evaluate(
        "html => Math.ceil(html.getBoundingClientRect().height)"
    )
    return page.locator(FRAME).evaluate("f => f.style.height") == f"{content}px"


def heading_levels(page) -> list[int]:
    """The page's headings' levels in order (one h1, none skipped, for screen readers)."""
    return page.evaluate(
        "[...document.querySelectorAll('h1, h2, h3, h4')].map(h => Number(h.tagName[1]))"
    )


def page_height(page) -> int:
    return page.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")


def fits(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_shopper_pays_sees_the_confirmation_and_follows_the_order(
    browser,
    picker_shop,  # noqa: F811 (the fixture imported above)
    shop_server,
    django_db_blocker,
    tmp_path,
    width,
):
    shop, xl = picker_shop
    shots = tmp_path / "shots"
    shots.mkdir()
    context = browser.new_context(viewport={"width": width, "height": WIDTHS[width]})
    page = context.new_page()
    base = f"http://picker.localhost:{shop_server}"
    mail.outbox.clear()

    # when: XL is bought and paid with 4242
    page.goto(f"{base}/products/harbour-tee/")
    buy_xl(page)

    # then: the confirmation page, at its signed address, shows XL and the total
    page.wait_for_url(re.compile(r"/orders/[^/]+/confirmation/$"), timeout=60_000)
    lead = page.get_by_role("status").filter(has_text="is paid; a confirmation is on its way")
    expect(lead).to_contain_text("ada@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your order")
    line = page.locator("[data-receipt-line]")
    expect(line).to_have_count(1)
    assert line.locator("td").all_inner_texts() == ["Harbour Tee\nXL", "1", "€26.00", "€26.00"]
    expect(page.locator("[data-receipt-total]")).to_have_text(re.compile(r"Total\s+€26\.00"))
    expect(page.locator("[data-order-address]")).to_contain_text("1 Rue de Rivoli")
    assert heading_levels(page) == [1, 2, 2, 2]
    assert fits(page, width)
    page.screenshot(path=shots / f"1-confirmation-{width}.png", full_page=True)
    order = order_when(shop, lambda order: order.status == "paid")
    with tenant_context(shop):
        assert list(order.lines.values_list("variant_id", flat=True)) == [xl.id]
    number = page.locator("[data-order-number]").inner_text()
    assert number == order.number

    # the confirmation email's HTML part reads as well at this width
    email = confirmation_email(number)
    page.set_content(email.alternatives[0][0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your order")
    assert fits(page, width)
    page.screenshot(path=shots / f"2-email-{width}.png", full_page=True)

    # when: the shopper opens the order page from the confirmation email
    (path,) = set(ORDER_LINK.findall(email.body))
    page.goto(base + path)

    # then: it says Paid, with the steps so far
    expect(page.locator("[data-order-status]")).to_have_text("Paid")
    assert page.get_by_role("heading", level=1).inner_text() == f"Order {number}"
    assert page.locator(".order-event").all_inner_texts() == ["Order placed", "Paid"]
    assert heading_levels(page) == [1, 2, 2, 2, 2]
    assert fits(page, width)
    page.screenshot(path=shots / f"3-order-paid-{width}.png", full_page=True)

    # when: the merchant ships it with a tracking number
    with django_db_blocker.unblock(), tenant_context(shop):
        order_fulfil(
            order=Order.objects.get(id=order.id),
            carrier="Colissimo",
            tracking_number="6A12345678901234567890",
        )
    page.reload()

    # then: the page shows it shipped, the number and the carrier's tracking link
    expect(page.locator("[data-order-status]")).to_have_text("Shipped")
    expect(page.locator("[data-tracking-number]")).to_have_text("6A12345678901234567890")
    track = page.get_by_role("link", name="Track your parcel with Colissimo")
    assert track.get_attribute("href") == (
        "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901234567890"
    )
    assert fits(page, width)
    page.screenshot(path=shots / f"4-order-shipped-{width}.png", full_page=True)

    # a changed link: a page that helps, and no order
    page.goto(base + path.replace(path[-6:-1], "xxxxx"))
    expect(page.get_by_role("heading", level=1)).to_have_text("We cannot find this order")
    assert page.get_by_text(number).count() == 0
    assert fits(page, width)
    page.screenshot(path=shots / f"5-bad-link-{width}.png", full_page=True)
    assert context.cookies() == []
    context.close()
    print(f"screenshots: {shots}")


def test_in_the_embed_the_confirmation_opens_inside_the_frame(
    browser,
    picker_shop,  # noqa: F811 (the fixture imported above)
    shop_server,
    tmp_path,
):
    shop, _ = picker_shop
    snippet = (
        f'<script src="http://picker.localhost:{shop_server}/embed.js" '
        'data-product="harbour-tee" async></script>'
    )
    blog = HostPages(snippet)
    shots = tmp_path / "shots"
    shots.mkdir()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        with tenant_context(shop):
            storefront_services.embed_origins_set(origins=[blog.origin])
        page.goto(f"{blog.origin}/")
        frame = page.frame_locator(FRAME)

        buy_xl(frame)

        lead = frame.get_by_role("status").filter(has_text="is paid; a confirmation is on its way")
        lead.wait_for(timeout=60_000)
        assert page.url == f"{blog.origin}/"  # the blog stays; the frame moved on
        assert frame.locator("[data-receipt-line] td").first.inner_text() == "Harbour Tee\nXL"
        link = frame.get_by_role("link", name="View your order page")
        assert link.get_attribute("target") == "_blank"
        # the frame fits the confirmation (embed-frame.js tells the blog its height)
        wait_for(lambda: frame_fits(page, frame))
        # (a full-page shot leaves a cross-origin frame's part below the window blank:
        # the window is made as tall as the page instead)
        page.set_viewport_size({"width": 390, "height": page_height(page)})
        page.screenshot(path=shots / "embed-confirmation-390.png")
        with context.expect_page() as opened:
            link.click()
        order_page = opened.value
        expect(order_page.locator("[data-order-status]")).to_have_text("Paid")
        order_page.screenshot(path=shots / "embed-order-page-390.png", full_page=True)
        assert context.cookies() == []
    finally:
        context.close()
        blog.close()
    print(f"screenshots: {shots}")
