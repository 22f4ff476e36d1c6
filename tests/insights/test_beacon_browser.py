"""In Chromium, at phone and desktop widths: a shopper lands on the shop from an
Instagram link, opens a product and adds it to the bag; insights.js sends the page's
events with sendBeacon, and after the worker's rollup the shop's numbers count one
session from Instagram, the product view and the bag add. No cookie is set."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from shops.insights import selectors
from shops.insights.services import rollup_run
from tests.insights.conftest import DESKTOP_UA, raw_events
from tests.journeys.helpers import no_horizontal_overflow
from tests.orders.conftest import shop_sells
from tests.storefront.helpers import product

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-insights"))  # noqa: S108


def wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    return condition()


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_a_shoppers_visit_is_counted_without_a_cookie(
    browser, shop_server, committed_shop, django_db_blocker, stripe_settings, width, height
):
    slug = f"lookbook{width}"
    shop = committed_shop(slug, "Lookbook").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        lamp = product("Brass Lamp", slug="brass-lamp", price="40.00")
        shop_sells(slug)
    base = f"http://{slug}.localhost:{shop_server}"
    SHOTS.mkdir(exist_ok=True)
    # headless Chromium says "HeadlessChrome" in its user agent, which the bot filter
    # drops: the shopper's browser is an ordinary Chrome
    context = browser.new_context(
        viewport={"width": width, "height": height}, user_agent=DESKTOP_UA
    )
    page = context.new_page()
    answers: list[str] = []
    page.on("console", lambda message: answers.append(f"console: {message.text}"))
    page.on(
        "request",
        lambda request: (
            answers.append(f"sent {request.url} {request.post_data}")
            if "events" in request.url
            else None
        ),
    )
    page.on(
        "requestfailed", lambda request: answers.append(f"failed {request.url} {request.failure}")
    )
    page.on("pageerror", lambda error: answers.append(f"error {error}"))
    page.on(
        "response",
        lambda response: (
            answers.append(f"{response.status} {response.url}")
            if "insights" in response.url
            else None
        ),
    )
    try:
        # given a shopper who follows the shop's link in an Instagram bio
        page.goto(f"{base}/?utm_source=instagram&utm_medium=social")
        expect(page.get_by_role("link", name="Brass Lamp").first).to_be_visible()
        page.screenshot(path=f"{SHOTS}/{width}-1-shop-page.png", full_page=True)
        # when they open the product and add it to the bag
        page.get_by_role("link", name="Brass Lamp").first.click()
        expect(page.get_by_role("heading", name="Brass Lamp")).to_be_visible()
        page.get_by_role("button", name="Add to bag").click()
        expect(page.get_by_text("Added Brass Lamp")).to_be_visible()
        no_horizontal_overflow(page)
        page.screenshot(path=f"{SHOTS}/{width}-2-product-added.png", full_page=True)
        page.goto(f"{base}/bag/")  # leaving the page flushes its queue
        cookies = context.cookies()

        def events() -> list[dict]:
            with django_db_blocker.unblock(), tenant_context(shop):
                rows = raw_events()
            return rows if len(rows) >= 5 else []

        rows = wait_for(events)
        with django_db_blocker.unblock(), tenant_context(shop):
            seen = raw_events()
    finally:
        context.close()

    # then the beacons carried each event, sourced to Instagram where it landed
    assert cookies == []
    assert rows, (answers, seen)
    kinds = sorted((row["kind"], row["page"], row["product_id"], row["source"]) for row in rows)
    assert kinds == [
        (1, "bag", None, "direct"),
        (1, "product", lamp.id, "direct"),
        (1, "shop", None, "instagram"),
        (2, "", lamp.id, "direct"),
        (5, "", lamp.id, "direct"),
    ]
    assert len({row["visitor"] for row in rows}) == 1  # one shopper, one visitor
    with django_db_blocker.unblock(), tenant_context(shop):
        rollup_run()
        today = rows[0]["occurred_at"].date()
        summary = selectors.insights_summary(today, today).current
        funnel = selectors.insights_funnel(today, today)
        sources = selectors.insights_table(today, today, "source").rows
    assert (summary.sessions, summary.page_views) == (1, 3)
    assert [step.count for step in funnel.steps] == [1, 1, 1, 0, 0]
    assert {row.key: row.page_views for row in sources} == {"instagram": 1, "direct": 2}
