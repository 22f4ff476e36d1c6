"""In a real browser: the merchant drags a section above another, sees it in the
preview, publishes, and shoppers get the new order."""

from __future__ import annotations

import pytest

from tests.catalog.test_admin_browser import log_in

pytestmark = pytest.mark.browser

HEADINGS = "h2[id^=section-]"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def test_merchant_reorders_by_drag_and_drop_previews_and_publishes(
    page, shop_server, committed_shop
):
    committed_shop("atelier", "Atelier")
    base = f"http://atelier.localhost:{shop_server}"
    log_in(page, base, "atelier")
    page.goto(f"{base}/admin/storefront/design/")
    insert = page.locator(".designer-insert").last
    insert.get_by_text("Add section here").click()
    insert.get_by_label("Section type").select_option("hero")
    insert.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_load_state()
    preview = page.frame_locator("#preview")
    assert preview.locator(HEADINGS).all_inner_texts() == ["Products", "Welcome"]

    sections = page.locator("#section-list > li.designer-section")
    with page.expect_navigation():
        sections.nth(1).locator(".drag-handle").drag_to(
            sections.nth(0), target_position={"x": 20, "y": 5}
        )

    assert page.locator("#section-list .designer-section-name").all_inner_texts() == [
        "Hero banner: Welcome",
        "Product grid: Products",
    ]
    assert preview.locator(HEADINGS).all_inner_texts() == ["Welcome", "Products"]
    assert "changes shoppers do not see yet" in page.locator(".designer-status").inner_text()
    shop_page = page.context.new_page()
    shop_page.goto(f"{base}/")
    assert shop_page.locator(HEADINGS).all_inner_texts() == ["Products", "Welcome"]

    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_load_state()

    assert "Published: shoppers now see this design." in page.locator(".messagelist").inner_text()
    shop_page.reload()
    assert shop_page.locator(HEADINGS).all_inner_texts() == ["Welcome", "Products"]
