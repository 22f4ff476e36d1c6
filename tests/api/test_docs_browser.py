"""In a real browser: the API docs render from the shop's own host, nothing from a CDN."""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-feeds"))  # noqa: S108


def test_docs_render_without_any_outside_request(browser, shop_server, committed_shop):
    committed_shop("apidocs")
    context = browser.new_context()
    page = context.new_page()
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urllib.parse.urlsplit(request.url).netloc))

    page.goto(f"http://apidocs.localhost:{shop_server}/api/v1/docs/")
    page.get_by_text("Etalage partner API").first.wait_for(timeout=60_000)
    page.locator(".opblock-tag").first.wait_for()
    page.wait_for_load_state("networkidle")

    tags = [tag.lower() for tag in page.locator(".opblock-tag").all_inner_texts()]
    # operations by path: the bag's and buy-now's, under the Shopper tag, come first
    assert [tag.split()[0] for tag in tags] == [
        "shopper",
        "analytics",
        "channels",
        "collections",
        "discounts",
        "orders",
        "polls",
        "posts",
        "products",
        "reviews",
        "shipping",
        "variants",
        "webhooks",
    ]
    assert page.get_by_role("button", name="Authorize").is_visible()
    assert hosts == {f"apidocs.localhost:{shop_server}"}
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_a_partner_reads_how_webhooks_are_signed_in_the_api_docs(
    browser, shop_server, committed_shop, width
):
    # given
    committed_shop("apidocs")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    shots = SHOTS
    shots.mkdir(exist_ok=True)

    # when the partner opens the docs, reads the webhooks guide, then the events list
    page.goto(f"http://apidocs.localhost:{shop_server}/api/v1/docs/")
    heading = page.get_by_role("heading", name="Webhooks", exact=True)
    heading.wait_for(timeout=60_000)
    heading.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"api-docs-webhooks-{width}.png"))
    guide = heading.locator("xpath=..").inner_text()  # the description around it
    webhooks = page.locator("#operations-tag-webhooks")
    section = page.locator(".opblock-tag-section", has=webhooks)
    if not section.locator(".opblock").first.is_visible():
        webhooks.click()
    events = section.locator(".opblock", has_text="/api/v1/events/")
    events.first.wait_for()
    events.first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"api-docs-events-{width}.png"))

    # then the signing scheme, its deprecation date and the catch-up list are there
    assert "webhook-signature" in guide and "2027-06-30" in guide
    assert "order.paid" in guide and "stock.changed" in guide
    assert events.count() == 1
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    context.close()
