"""In a real browser: the API docs render from the shop's own host, nothing from a CDN."""

from __future__ import annotations

import urllib.parse

import pytest

pytestmark = pytest.mark.browser


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
