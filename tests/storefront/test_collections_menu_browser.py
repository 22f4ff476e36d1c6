"""In Chromium at a phone and a desktop width: a shopper opens the collections menu from
the shop page, lands on a collection, opens a product and searches from its header."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from catalog.collections import collection_create
from tests.storefront.helpers import product

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-designer"))  # noqa: S108


def no_horizontal_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate(
        "window.innerWidth"
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_a_shopper_browses_a_collection_from_the_menu_and_searches(
    browser, shop_server, committed_shop, django_db_blocker, width
):
    shop = committed_shop(f"menu{width}", "Atelier Nord").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        mugs = [product(f"Stoneware mug {n}", slug=f"mug-{n}") for n in range(3)]
        product("Linen apron", slug="apron")
        collection_create(title="Mugs and cups", slug="mugs", product_ids=[m.pk for m in mugs])
        collection_create(title="Kitchen linen for long summer tables", slug="linen")
    base = f"http://menu{width}.localhost:{shop_server}"
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{base}/")
    menu = page.get_by_role("navigation", name="Collections")
    menu.get_by_text("Collections").click()
    expect(menu.get_by_role("link", name="Mugs and cups")).to_be_visible()
    no_horizontal_overflow(page)
    page.screenshot(path=str(SHOTS / f"{width}-9-collections-menu.png"))
    menu.get_by_role("link", name="Mugs and cups").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Mugs and cups")
    assert page.locator(".product-card").count() == 3
    no_horizontal_overflow(page)
    page.screenshot(path=str(SHOTS / f"{width}-10-collection-page.png"), full_page=True)

    page.get_by_role("link", name="Stoneware mug 1").click()
    expect(page.get_by_role("navigation", name="Collections")).to_be_visible()
    search = page.get_by_role("searchbox", name="Search products")
    search.fill("apron")
    no_horizontal_overflow(page)
    page.screenshot(path=str(SHOTS / f"{width}-11-product-page-header.png"))
    search.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “apron”")
    expect(page.get_by_role("link", name="Linen apron")).to_be_visible()
    no_horizontal_overflow(page)
    context.close()
