"""In Chromium at phone and desktop widths: a shopper opens a post from the gallery, adds
the tagged product to the bag from its tag and sees it in the bag; in the embed, Add to
bag works without a cookie; and the merchant finds the checkout a shopper left unpaid
under Abandoned checkouts, apart from Orders."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from shops.posts import services
from shops.posts.models import Post
from shops.storefront import services as design
from tests.catalog.test_admin_browser import log_in, nav_open
from tests.factories import OrderFactory
from tests.orders.conftest import shop_sells
from tests.posts.conftest import picture
from tests.storefront.helpers import product

pytestmark = pytest.mark.browser

# screenshots to look at; ETALAGE_SHOTS puts them elsewhere
SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-abandoned"))  # noqa: S108
WIDTHS = pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])


@pytest.fixture
def hotspot_shop(committed_shop, django_db_blocker, stripe_settings, settings, tmp_path):
    """A shop selling a tote, with a posts gallery and a published post tagging it, and
    a checkout a shopper left unpaid; yields (shop, post, checkout)."""
    settings.MEDIA_ROOT = tmp_path  # the live server runs in this process
    shop = committed_shop("hotspot", "Hotspot").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        tote = product("Canvas Tote", slug="canvas-tote", price="24.00", stock=5)
        shop_sells("hotspot")
        design.section_add(section_type_key="posts_gallery")
        design.design_publish()
        post = services.post_create(
            images=[services.ImageInput(file=picture(size=(800, 600)), alt_text="Tote on a bench")],
            tags=[[services.TagInput(product_id=tote.id, x=0.3, y=0.4)]],
            caption="Market day",
            status=Post.Status.PUBLISHED,
            published_at=timezone.now(),
        )
        checkout = OrderFactory(
            pending=True,
            email="left@example.com",
            lines=[(tote.variants.get(), 2)],
            reserved_until=timezone.now() + timedelta(minutes=10),
        )
    return shop, post, checkout


def _page(browser, width: int, tmp_path: Path):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    # without DEBUG the server has no /media/ route: serve the shop's files from here
    page.route(
        "**/media/**",
        lambda route: route.fulfill(path=Path(tmp_path, route.request.url.split("/media/", 1)[1])),
    )
    return context, page


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@WIDTHS
def test_a_shopper_adds_a_tagged_product_to_the_bag_from_a_post(
    browser, hotspot_shop, shop_server, tmp_path, width
):
    _, post, _ = hotspot_shop
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    context, page = _page(browser, width, tmp_path)
    base = f"http://hotspot.localhost:{shop_server}"

    # given: the post opened from the gallery
    page.goto(f"{base}/")
    page.get_by_role("link", name=re.compile("Open the post: Market day")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    tag = dialog.get_by_role("list", name="Products in this picture").get_by_role("listitem")
    expect(tag.get_by_role("button", name="Add to bag")).to_be_visible()
    view = tag.get_by_role("link", name="View", exact=True)
    expect(view).to_have_attribute(
        "href", re.compile(rf"^/products/canvas-tote/\?post={post.id}&view=[0-9a-f]{{32}}$")
    )
    page.screenshot(path=shots / "1-post-tag.png")

    # when: the shopper taps Add to bag on the tag, twice
    tag.get_by_role("button", name="Add to bag").click()
    expect(dialog.get_by_role("status")).to_have_text(
        "Added Canvas Tote to your bag. 1 item in your bag."
    )
    tag.get_by_role("button", name="Add to bag").click()
    expect(dialog.get_by_role("link", name="View bag (2 items)")).to_be_visible()
    page.screenshot(path=shots / "2-added-from-post.png")
    _fits(page, width)

    # then: the bag holds it, checked with the shop's price and stock
    dialog.get_by_role("link", name="View bag (2 items)").click()
    expect(page.get_by_role("heading", name="Your bag")).to_be_visible()
    lines = page.get_by_role("list", name="Items in your bag").get_by_role("listitem")
    expect(lines).to_have_count(1)
    expect(lines.nth(0)).to_contain_text("Canvas Tote")
    expect(page.get_by_label(re.compile("Quantity"))).to_have_value("2")
    expect(page.locator("[data-bag-subtotal]")).to_have_text("€48.00")
    page.screenshot(path=shots / "3-bag.png", full_page=True)
    _fits(page, width)
    context.close()


@WIDTHS
def test_in_the_embed_add_to_bag_works_without_a_cookie(
    browser, hotspot_shop, shop_server, tmp_path, width
):
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    context, page = _page(browser, width, tmp_path)
    base = f"http://hotspot.localhost:{shop_server}"

    page.goto(f"{base}/embed/?product=canvas-tote")
    page.get_by_role("button", name="Add to bag").click()
    expect(page.locator("[data-bag-count]").first).to_have_text("1")
    page.screenshot(path=shots / "4-embed-added.png", full_page=True)
    page.get_by_role("link", name="View bag (1 item)").click()

    expect(page.get_by_role("heading", name="Your bag")).to_be_visible()
    assert page.url == f"{base}/embed/?bag=1"
    expect(page.get_by_role("list", name="Items in your bag")).to_contain_text("Canvas Tote")
    assert context.cookies() == []
    page.screenshot(path=shots / "5-embed-bag.png", full_page=True)
    _fits(page, width)
    context.close()


@WIDTHS
def test_the_merchant_finds_an_unpaid_checkout_under_abandoned_checkouts(
    browser, hotspot_shop, shop_server, tmp_path, width
):
    _, _, checkout = hotspot_shop
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    context, page = _page(browser, width, tmp_path)
    base = f"http://hotspot.localhost:{shop_server}"

    # given: the merchant in the admin
    log_in(page, base, "hotspot")

    # when: they open Orders, then Abandoned checkouts
    nav_open(page, "Orders")
    expect(page.get_by_text("0 orders")).to_be_visible()
    page.screenshot(path=shots / "6-orders-empty.png", full_page=True)
    nav_open(page, "Abandoned checkouts")

    # then: the checkout is there, with who, what, how much and the reminder state
    row = page.get_by_role("row").filter(has_text=checkout.number)
    expect(row).to_contain_text("left@example.com")
    expect(row).to_contain_text("2 × Canvas Tote")  # noqa: RUF001 (times)
    expect(row).to_contain_text("€48.00")
    expect(row).to_contain_text("Not sent")
    expect(page.get_by_role("heading", name="Checkout reminders: off")).to_be_visible()
    page.screenshot(path=shots / "7-abandoned-checkouts.png", full_page=True)

    # and they turn reminders on
    page.get_by_role("button", name="Turn checkout reminders on").click()
    expect(page.get_by_text("Checkout reminders are on")).to_be_visible()
    expect(page.get_by_role("heading", name="Checkout reminders: on")).to_be_visible()
    page.screenshot(path=shots / "8-reminders-on.png", full_page=True)

    # and the checkout's own page shows its lines and a way to cancel it
    row.get_by_role("link", name=checkout.number).click()
    expect(page.get_by_role("heading", name=f"Checkout {checkout.number}")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel this checkout")).to_be_visible()
    page.screenshot(path=shots / "9-checkout.png", full_page=True)
    context.close()
