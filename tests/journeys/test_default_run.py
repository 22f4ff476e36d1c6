"""The default run as a person meets it, in Chromium at phone and desktop widths.

``make run`` (``manage.py rundemo``: the embedded Redis, a Celery worker and beat,
localstripe and runserver, nothing configured) → the demo shop → a product → Buy now
with the test card → localstripe's webhook marks the order paid → the worker, not the
request, sends the confirmation email.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from orders.models import Order, OrderEmail
from shops.demo.management.commands.seed_demo import DEMO_SLUG
from shops.models import Shop
from tests.conftest import wait_until
from tests.orders.test_browser import fill_address, fill_card
from tests.orders.test_demo import demo_shop_dropped, rundemo_start  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

# screenshots to look at; ETALAGE_SHOTS puts them elsewhere
SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-default-run"))  # noqa: S108


@pytest.fixture(scope="module")
def default_run(
    tmp_path_factory,
    demo_shop_dropped,  # noqa: F811 (the fixture imported above)
) -> Iterator[tuple[int, Path]]:
    """rundemo as ``make run`` starts it; yields its web port and its log."""
    rundemo, port, _, log = rundemo_start(tmp_path_factory.mktemp("default-run"))
    try:
        yield port, log
    finally:
        rundemo.send_signal(signal.SIGTERM)
        rundemo.wait(timeout=60)


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_a_shopper_buys_from_the_demo_on_the_default_run(
    default_run, browser, django_db_blocker, width
):
    # (default_run before browser: the browser closes first, so the run's teardown
    # reaches the database outside Playwright's event loop)
    port, log = default_run
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    email = f"shopper-{width}@example.com"

    # given: the demo shop's page, as make run printed it
    page.goto(f"http://{DEMO_SLUG}.localhost:{port}/")
    page.screenshot(path=shots / "1-shop.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # when: the shopper opens a product, buys it and pays with the test card
    page.goto(f"http://{DEMO_SLUG}.localhost:{port}/products/harbour-tee/")
    page.get_by_role("button", name="Buy now").click()
    page.get_by_label("Email", exact=True).fill(email)
    fill_address(page)
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_placeholder("number").wait_for(timeout=60_000)
    page.screenshot(path=shots / "2-payment.png", full_page=True)
    fill_card(page)
    page.get_by_role("button", name="Pay").click()
    page.get_by_text("is paid; a confirmation is on its way").wait_for(timeout=90_000)
    page.screenshot(path=shots / "3-paid.png", full_page=True)
    context.close()

    # then: the order is paid (localstripe's webhook reached the web server) and the
    # worker sent its confirmation. Read from a thread of its own: in this thread
    # Playwright's event loop would give Django a connection nothing could close.
    with ThreadPoolExecutor(max_workers=1) as reader:
        paid, confirmed = reader.submit(_paid_and_confirmed, email, django_db_blocker).result()
    assert paid, log.read_text()[-3000:]
    assert confirmed, log.read_text()[-3000:]
    assert f"To: {email}" in log.read_text()  # the console email backend, in the worker


def _paid_and_confirmed(email: str, django_db_blocker) -> tuple[bool, bool]:
    """Whether the shopper's order got paid, then its confirmation sent (each waited for
    up to 90 s)."""
    try:
        with django_db_blocker.unblock():
            shop = Shop.objects.get(slug=DEMO_SLUG)

        def paid() -> bool:
            with tenant_context(shop):
                return Order.objects.filter(email=email, status=Order.Status.PAID).exists()

        def confirmed() -> bool:
            with tenant_context(shop):
                return OrderEmail.objects.filter(
                    order__email=email, kind="confirmation", sent_at__isnull=False
                ).exists()

        return wait_until(paid, django_db_blocker), wait_until(confirmed, django_db_blocker)
    finally:
        connection.close()
