"""In a real browser: the merchant places a tag by clicking the picture in the admin and
drags it; the shopper opens the post from the gallery, reaches the tag by keyboard and
lands on the product with buy-now; the impression and the click are counted."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from catalog.services import VariantInput, product_create
from shops.posts import services
from shops.posts.models import Post, PostDailyStats, PostTag
from shops.storefront import services as design
from tests.catalog.test_admin_browser import log_in
from tests.conftest import clear_of_window_end
from tests.insights.conftest import DESKTOP_UA
from tests.orders.conftest import shop_sells
from tests.posts.conftest import page_serving_media, picture
from tests.storefront.helpers import product

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the live server runs in this process
    with page_serving_media(browser, tmp_path, viewport={"width": 1200, "height": 900}) as page:
        yield page


def wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return condition()


def test_merchant_tags_a_picture_and_the_shopper_taps_through_to_buy_now(
    page, shop_server, committed_shop, django_db_blocker, stripe_settings
):
    clear_of_window_end(86400, margin=120)  # the counts below are of one UTC day
    # given a shop with a product, a posts gallery and a published post without tags
    shop = committed_shop("atelier", "Atelier").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        tote = product("Canvas Tote", slug="canvas-tote", price="24.00")
        shop_sells("atelier")  # Buy now is offered
        section = design.section_add(section_type_key="posts_gallery")
        design.section_update(section_id=section["id"], settings={"heading": "Shop the look"})
        design.design_publish()
        post = services.post_create(
            images=[services.ImageInput(file=picture(size=(800, 600)), alt_text="Tote on a bench")],
            caption="Market day",
            status=Post.Status.PUBLISHED,
            published_at=timezone.now(),
        )
    base = f"http://atelier.localhost:{shop_server}"

    # when the merchant clicks the picture, picks the product, drags the tag and saves
    log_in(page, base, "atelier")
    page.goto(f"{base}/admin/posts/post/{post.id}/change/")
    frame = page.locator("[data-frame]")
    box = frame.bounding_box()
    frame.click(position={"x": box["width"] * 0.2, "y": box["height"] * 0.5})
    page.get_by_label("Product of tag 1").select_option(label="Canvas Tote")
    marker = page.locator(".tag-marker")
    marker.drag_to(frame, target_position={"x": box["width"] * 0.6, "y": box["height"] * 0.25})
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()

    # then the tag is saved where it was dropped
    assert "was changed successfully" in page.locator(".messagelist").inner_text()
    with django_db_blocker.unblock(), tenant_context(shop):
        saved = PostTag.objects.get()
    assert saved.product_id == tote.id
    assert saved.x == pytest.approx(0.6, abs=0.02) and saved.y == pytest.approx(0.25, abs=0.02)

    # when a shopper opens the post from the gallery and reaches the tag by keyboard
    # (an ordinary Chrome: the beacon leaves out the "HeadlessChrome" user agent as a bot's)
    shopper_context = page.context.browser.new_context(
        viewport={"width": 1200, "height": 900}, user_agent=DESKTOP_UA
    )
    shopper = shopper_context.new_page()
    shopper.goto(f"{base}/")
    shopper.get_by_role("link", name=re.compile("Open the post: Market day")).click()
    dialog = shopper.get_by_role("dialog")
    expect(dialog).to_be_visible()
    tag = dialog.get_by_role("link", name=re.compile("Canvas Tote"))
    for _ in range(10):  # Tab through the dialog: the close button, then the tag
        shopper.keyboard.press("Tab")
        if tag.evaluate("link => link === document.activeElement"):
            break
    assert tag.evaluate("link => link === document.activeElement")
    with shopper.expect_navigation():
        shopper.keyboard.press("Enter")

    # then they are on the product page with buy-now, the post and the page view noted
    assert re.search(rf"/products/canvas-tote/\?post={post.id}&view=[0-9a-f]{{32}}$", shopper.url)
    assert shopper.get_by_role("heading", level=1).inner_text() == "Canvas Tote"
    assert shopper.get_by_role("button", name="Buy now").is_visible()

    def counted():
        with django_db_blocker.unblock(), tenant_context(shop):
            return list(PostDailyStats.objects.values_list("impressions", "tag_clicks"))

    assert wait_for(lambda: counted() == [(1, 1)]), counted()
    shopper_context.close()


def test_a_tag_can_be_placed_on_a_variant_and_moved_with_the_keyboard(
    page, shop_server, committed_shop, django_db_blocker
):
    shop = committed_shop("keyboard", "Keyboard").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        tee = product_create(
            title="Harbour Tee",
            status="active",
            option1_name="Size",
            variants=[
                VariantInput(sku="TEE-S", options=["S"], price=Decimal("20.00"), stock=2),
                VariantInput(sku="TEE-M", options=["M"], price=Decimal("20.00"), stock=2),
            ],
        )
        medium = tee.variants.get(sku="TEE-M")
        post = services.post_create(images=[services.ImageInput(file=picture())])
    base = f"http://keyboard.localhost:{shop_server}"
    log_in(page, base, "keyboard")
    page.goto(f"{base}/admin/posts/post/{post.id}/change/")

    page.get_by_role("button", name="Add a tag in the middle").click()
    page.get_by_label("Product of tag 1").select_option(label="Harbour Tee")
    page.get_by_label("Variant of tag 1").select_option(label="M")
    page.get_by_role("button", name=re.compile("^Tag 1")).focus()
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()

    with django_db_blocker.unblock(), tenant_context(shop):
        saved = PostTag.objects.get()
    assert (saved.product_id, saved.variant_id, saved.x, saved.y) == (tee.id, medium.id, 0.6, 0.48)
