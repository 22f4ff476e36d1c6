"""In Chromium, at a phone's and a desktop's width: a merchant opens a feed-only Google
channel, copies its feed URL with the button (the clipboard holds the whole address),
reads the steps to add it; then opens Meta's item status list, filters the rejected
items and reads why, with the link to fix the product."""

from __future__ import annotations

from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from shops.channels.models import ChannelItem
from shops.channels.services import connection_create
from tests.catalog.test_admin_browser import log_in
from tests.catalog.test_admin_browser import page as page_fixture  # noqa: F401 (the "page" fixture)
from tests.channels.conftest import complete_product

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots-fidelity")  # noqa: S108


@pytest.mark.parametrize("width", [390, 1280])
def test_a_feed_only_channel_page_copies_its_feed_url_and_the_item_list_shows_rejections(
    page, shop_server, committed_shop, django_db_blocker, width
):
    SHOTS.mkdir(exist_ok=True)
    slug = f"atelier-feed-{width}"
    shop = committed_shop(slug, "Atelier").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        google = connection_create(channel="google")  # no token: feed only
        meta = connection_create(channel="meta", access_token="meta-token", external_id="1")
        tee = complete_product("Linen Tee", sku="TEE")
        scarf = complete_product("Wool Scarf", sku="SCARF")
        ChannelItem.objects.bulk_create(
            [
                ChannelItem(
                    connection=meta,
                    retailer_id=f"{product.pk}-{variant.pk}",
                    product_id=product.pk,
                    variant_id=variant.pk,
                    state=state,
                    message=message,
                )
                for product, state, message in (
                    (tee, "live", ""),
                    (scarf, "rejected", "The image is smaller than 500 by 500 pixels."),
                )
                for variant in product.variants.all()
            ]
        )
    base = f"http://{slug}.localhost:{shop_server}"
    page.set_viewport_size({"width": width, "height": 900})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    log_in(page, base, slug)

    # the feed-only channel: the whole address, a copy button, the steps
    page.goto(f"{base}/admin/channels/connection/{google.pk}/change/")
    feed = page.locator("#channel-feed")
    assert "Feed only: nothing is sent through Google\u2019s API." in feed.inner_text()
    field = page.get_by_label("XML feed URL")
    expected = f"{base}/feeds/google.xml?token={google.feed_token}"
    assert field.input_value() == expected
    feed.get_by_role("button", name="Copy").first.click()
    feed.get_by_role("status").first.wait_for()
    page.wait_for_function(
        "document.querySelector('#channel-feed .feed-url-status').textContent === 'Copied.'"
    )
    assert page.evaluate("navigator.clipboard.readText()") == expected
    assert feed.get_by_role("listitem").count() == 3  # the steps
    assert "Enter a link to your file" in feed.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=SHOTS / f"feed-only-{width}.png", full_page=True)

    # Meta's items: filter the rejected ones
    page.goto(f"{base}/admin/channels/connection/{meta.pk}/change/")
    page.get_by_role("link", name="Item status").click()
    page.get_by_label("State").select_option("rejected")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**state=rejected**")
    table = page.get_by_role("table", name="Items on Meta")
    assert "2 items match." in page.locator("#content-main").inner_text()
    assert table.get_by_text("The image is smaller than 500 by 500 pixels.").count() == 2
    assert "Linen Tee" not in table.inner_text()
    assert table.get_by_role("link", name="fix the product").first.get_attribute("href") == (
        f"/admin/catalog/product/{scarf.pk}/change/"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=SHOTS / f"items-rejected-{width}.png", full_page=True)
