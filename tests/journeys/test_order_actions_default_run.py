"""The merchant's order actions under the default run, in Chromium at phone and desktop
widths (the issue's walk).

``manage.py rundemo`` as ``make run`` starts it (embedded Redis, a real Celery worker and
beat, localstripe, runserver), with the review request delay and the beat's interval
shortened by environment variables: a shopper buys 3 tees with the test card; the merchant
logs in to the admin, ships 1 in a first parcel and the 2 left in a second (carrier and
tracking number each), the review request goes out after the fulfilment, then refunds
one tee by item; on another (unpaid) order the merchant cancels. Every click is
Chromium's; every email is sent by the worker (the console email backend writes them to
the run's log) and recorded sent in the database.
"""

from __future__ import annotations

import os
import quopri
import re
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import connection
from django_tenants.utils import tenant_context

from catalog.models import Variant
from orders.models import Order, OrderEmail, RefundLine
from reviews.models import ReviewRequest
from shops.demo.management.commands.seed_demo import DEMO_NAME, DEMO_OWNER, DEMO_SLUG
from shops.models import Shop
from tests.catalog.test_admin_browser import nav_open
from tests.conftest import wait_until
from tests.consent.helpers import consent_confirmed
from tests.orders.conftest import ADDRESS
from tests.orders.test_browser import fill_address, fill_card
from tests.orders.test_demo import demo_shop_dropped, rundemo_start  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-fulfil"))  # noqa: S108
REVIEW_DELAY_SECONDS = 4
TIMES = "\N{MULTIPLICATION SIGN}"


@pytest.fixture(scope="module")
def default_run(
    tmp_path_factory,
    demo_shop_dropped,  # noqa: F811 (the fixture imported above)
) -> Iterator[tuple[int, Path, str]]:
    """rundemo as ``make run`` starts it, review requests due after a few seconds and
    looked for every 2 s; yields its web port, its log and the demo owner's password."""
    folder = tmp_path_factory.mktemp("order-actions-run")
    rundemo, port, _, log = rundemo_start(
        folder,
        REVIEWS_REQUEST_DELAY_SECONDS=str(REVIEW_DELAY_SECONDS),
        REVIEWS_REQUEST_INTERVAL_SECONDS="2",
    )
    try:
        yield port, log, (folder / "data" / "demo_password").read_text().strip()
    finally:
        rundemo.send_signal(signal.SIGTERM)
        rundemo.wait(timeout=60)


def in_database(django_db_blocker, read: Callable[[Shop], Any]) -> Any:
    """``read(shop)`` in the demo shop's schema, from a thread of its own: in this
    thread Playwright's event loop would give Django a connection nothing could close."""

    def run() -> Any:
        try:
            with django_db_blocker.unblock():
                shop = Shop.objects.get(slug=DEMO_SLUG)
                with tenant_context(shop):
                    return read(shop)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as reader:
        return reader.submit(run).result()


def waited(django_db_blocker, check: Callable[[], bool], timeout: float = 90) -> bool:
    """Whether ``check()`` (in the demo shop) turned true within ``timeout`` seconds."""

    def run() -> bool:
        try:
            shop = None
            with django_db_blocker.unblock():
                shop = Shop.objects.get(slug=DEMO_SLUG)

            def in_shop() -> bool:
                with tenant_context(shop):
                    return check()

            return wait_until(in_shop, django_db_blocker, timeout)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as reader:
        return reader.submit(run).result()


def emails_sent(order_id: int, kind: str) -> int:
    return OrderEmail.objects.filter(order_id=order_id, kind=kind, sent_at__isnull=False).count()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_the_merchant_ships_in_two_parcels_refunds_and_cancels_under_the_default_run(
    default_run, browser, django_db_blocker, width
):
    port, log, password = default_run
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    base = f"http://{DEMO_SLUG}.localhost:{port}"
    email = f"parcels-{width}@example.com"
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()

    # given: a shopper buys 3 Harbour tees with the test card
    page.goto(f"{base}/products/harbour-tee/")
    page.get_by_role("button", name="Buy now").click()
    page.get_by_label("Quantity").fill("3")
    page.get_by_label("Email", exact=True).fill(email)
    fill_address(page)
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_placeholder("number").wait_for(timeout=60_000)
    fill_card(page)
    page.get_by_role("button", name="Pay").click()
    page.get_by_text("is paid; a confirmation is on its way").wait_for(timeout=90_000)

    def the_order(shop: Shop) -> tuple[int, str, int, str]:
        order = Order.objects.get(email=email)
        line = order.lines.get()
        return order.id, order.number, line.variant_id, line.title

    order_id, number, variant_id, title = in_database(django_db_blocker, the_order)
    # the shopper agreed to marketing email (a review request is marketing, and the demo
    # shop sells in euros: opt-in); ticking the box and confirming is walked in
    # tests/consent/test_consent_browser.py
    in_database(django_db_blocker, lambda shop: consent_confirmed(email))
    assert waited(django_db_blocker, lambda: emails_sent(order_id, "confirmation") == 1)

    # and another shopper's checkout, never paid (2 tees held), at the cheapest shipping
    # rate the quote offers for the address
    items = [{"variant_id": variant_id, "quantity": 2}]
    host = {"Host": f"{DEMO_SLUG}.localhost:{port}"}
    quote = requests.post(
        f"http://127.0.0.1:{port}/api/v1/checkout/quote/",
        json={"items": items, "country": ADDRESS["country"]},
        headers=host,
        timeout=30,
    )
    assert quote.status_code == 200, quote.text
    held = requests.post(
        f"http://127.0.0.1:{port}/api/v1/buy-now/",
        json={
            "items": items,
            "email": f"unpaid-{width}@example.com",
            "shipping_address": ADDRESS,
            "shipping_rate": quote.json()["shipping_rates"][0]["id"],
        },
        headers=host,
        timeout=30,
    )
    assert held.status_code == 201, held.text
    unpaid_id, unpaid_number = in_database(
        django_db_blocker,
        lambda shop: (
            Order.objects.filter(public_id=held.json()["order"]["id"])
            .values_list("id", "public_id")
            .get()
        ),
    )
    unpaid_number = unpaid_number.hex[:8].upper()
    stock_before_cancel = in_database(
        django_db_blocker, lambda shop: Variant.objects.get(id=variant_id).available
    )

    # when: the merchant logs in to the admin and opens the order
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Email address").fill(DEMO_OWNER)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")
    page.goto(f"{base}/admin/orders/order/{order_id}/change/")
    ship = page.get_by_label(re.compile(f"^{re.escape(title)}"))
    assert ship.input_value() == "3"  # all that is left, unless lowered
    assert fits(page)
    page.screenshot(path=shots / "1-paid-order.png", full_page=True)

    # and ships 1 of the 3 tees in a first parcel
    ship.fill("1")
    page.get_by_label("Carrier").fill("Colissimo")
    page.get_by_label("Tracking number").fill("LP100000001FR")
    page.get_by_role("button", name="Fulfil and email the shopper").click()
    page.get_by_text(f"Order {number} is partially fulfilled").wait_for()

    # then: partially fulfilled, the parcel listed, 2 left to ship
    assert page.locator("[data-order-status]").inner_text() == "Partially fulfilled"
    assert page.locator("[data-shipment]").count() == 1
    assert page.get_by_text("Shipped with Colissimo, tracking number LP100000001FR.").is_visible()
    assert page.get_by_label(re.compile(f"^{re.escape(title)}")).input_value() == "2"
    assert fits(page)
    page.screenshot(path=shots / "2-partially-fulfilled.png", full_page=True)

    # when: the 2 left ship in a second parcel
    page.get_by_label("Carrier").fill("DHL")
    page.get_by_label("Tracking number").fill("JD0146000062")
    page.get_by_role("button", name="Fulfil and email the shopper").click()
    page.get_by_text(f"Order {number} is fulfilled").wait_for()

    # then: fulfilled, two parcels, each emailed by the worker
    assert page.locator("[data-order-status]").inner_text() == "Fulfilled"
    assert page.locator("[data-shipment]").count() == 2
    assert waited(django_db_blocker, lambda: emails_sent(order_id, "shipped") == 2)
    page.reload()  # the emails' timeline entries are written by the worker
    assert page.get_by_text(f"“Your order {number} is on its way”").count() == 2
    assert fits(page)
    page.screenshot(path=shots / "3-fulfilled.png", full_page=True)
    assert log.read_text().count(f"Subject: Your order {number} is on its way") == 2

    # and the review request goes out after the delay, sent by the beat and the worker
    assert waited(
        django_db_blocker,
        lambda: ReviewRequest.objects.filter(
            order_line__order_id=order_id, sent_at__isnull=False
        ).exists(),
    ), log.read_text()[-3000:]
    assert f"How do you like your order from {DEMO_NAME}?" in log.read_text()

    # when: one tee is refunded by item, after confirming
    page.get_by_label(f"Refund how many {title}").fill("1")
    page.get_by_role("button", name="Refund…").click()
    heading = page.get_by_role("heading", name=re.compile(f"^Refund .* of order {number}\\?$"))
    heading.wait_for()
    assert page.get_by_text(f"Refunded items: 1 {TIMES} {title}.").is_visible()
    assert fits(page)
    page.screenshot(path=shots / "4-refund-confirm.png", full_page=True)
    page.get_by_role("button", name=re.compile("^Yes, refund")).click()
    page.get_by_text(re.compile("refund sent through Stripe")).wait_for()

    # then: recorded by item, shown, and the shopper emailed
    assert page.locator("[data-order-status]").inner_text() == "Partially refunded"
    assert page.locator("[data-refund]").count() == 1
    assert page.get_by_text(f"For 1 {TIMES} {title}.").is_visible()
    assert waited(django_db_blocker, lambda: emails_sent(order_id, "refunded") == 1)
    assert in_database(
        django_db_blocker,
        lambda shop: list(
            RefundLine.objects.filter(refund__order_id=order_id).values_list(
                "quantity", "restocked_quantity"
            )
        ),
    ) == [(1, 0)]  # shipped: nothing back in stock
    page.reload()
    assert fits(page)
    page.screenshot(path=shots / "5-refunded.png", full_page=True)
    assert f"Subject: Your order {number} was refunded" in log.read_text()

    # when: the merchant finds the unpaid checkout under Abandoned checkouts and cancels
    # it, after confirming
    nav_open(page, "Abandoned checkouts")
    page.get_by_role("row").filter(has_text=unpaid_number).get_by_role(
        "link", name=unpaid_number
    ).click()
    page.get_by_role("button", name="Cancel this checkout").click()
    page.get_by_role("heading", name=f"Cancel order {unpaid_number}?").wait_for()
    assert fits(page)
    page.screenshot(path=shots / "6-cancel-confirm.png", full_page=True)
    page.get_by_role("button", name="Yes, cancel the order").click()
    page.get_by_text(f"Order {unpaid_number} is cancelled; its stock is back.").wait_for()

    # then: cancelled, its 2 tees back in stock
    assert page.get_by_role("button", name="Cancel this checkout").count() == 0
    assert fits(page)
    page.screenshot(path=shots / "7-cancelled.png", full_page=True)
    assert in_database(
        django_db_blocker,
        lambda shop: (
            Order.objects.get(id=unpaid_id).status,
            Variant.objects.get(id=variant_id).available,
        ),
    ) == ("cancelled", stock_before_cancel + 2)

    # and the shopper's order page shows both parcels
    order_page = page.context.new_page()
    # (the link of its last shipped email, as the worker wrote it: quoted-printable)
    sent = log.read_text()
    sent = sent[sent.rindex(f"Subject: Your order {number} is on its way") :]
    link = re.search(
        r"Follow your order: (\S+)", quopri.decodestring(sent.encode()).decode(errors="replace")
    )
    assert link, sent[:3000]
    order_page.goto(link.group(1))
    assert order_page.locator("[data-parcel-items]").count() == 2
    assert fits(order_page)
    order_page.screenshot(path=shots / "8-shopper-order-page.png", full_page=True)
    context.close()
