"""In a real browser, at a phone's 390 px and a desktop's 1,280 px: the shop page with a
logo, a poll, a 4.5-star product and products without pictures, its product page and a
post page fit the screen (no sideways scrolling), the shop's name shows beside its logo,
the average reads "4.5 out of 5" with a partly filled fifth star, poll options are whole
tappable rows, pictureless products show a placeholder with their initial."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from reviews.models import PollOption, PollVote
from shops.storefront import services as design
from tests.posts.conftest import published_post
from tests.reviews.helpers import approved_review
from tests.reviews.test_polls import make_poll
from tests.storefront.helpers import picture_upload, product

pytestmark = pytest.mark.browser

# screenshots to look at; ETALAGE_SHOTS puts them elsewhere
SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-shoppage"))  # noqa: S108
WIDTHS = (390, 1280)
LONG_TITLE = "Hand-thrown stoneware serving bowl in speckled oat glaze"


@pytest.fixture
def seeded(committed_shop, django_db_blocker, settings, tmp_path) -> dict:
    settings.MEDIA_ROOT = tmp_path  # the live server runs in this process
    shop = committed_shop("bellhouse", "Bellhouse Ceramics").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        mug = product("Speckled Mug", slug="speckled-mug", price="18.00")
        bowl = product(LONG_TITLE, slug="oat-bowl", price="42.00")
        product("Ash Plate", slug="ash-plate", price="24.00")
        approved_review(mug, rating=5, body="Perfect weight.", ip="192.0.2.10", name="Ann")
        approved_review(mug, rating=4, body="Lovely glaze.", ip="192.0.2.11", name="Bo")
        poll = make_poll(
            "Which glaze should we fire next?",
            options=("Celadon green", "Tenmoku brown", "Shino white"),
        )
        PollOption.objects.filter(poll=poll, position=0).update(product=bowl)
        design.branding_update(values={}, logo=picture_upload("logo.png", (400, 100), "maroon"))
        for kind in ("poll", "reviews_wall"):
            design.section_add(section_type_key=kind)
        design.design_publish()
        post = published_post(mug, bowl, caption="Fresh from the kiln")
        # the second tag at the picture's right edge, where a long label overflows
        tags = post.images.first().tags.order_by("id")
        tags.filter(pk=tags[1].pk).update(x=0.92, y=0.7)
        connection.set_schema_to_public()
    return {"media": tmp_path, "post_id": post.id, "shop": shop}


def _open(browser, media: Path, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.route(
        "**/media/**",
        lambda route: route.fulfill(path=Path(media, route.request.url.split("/media/", 1)[1])),
    )
    return context, page


def _overflow(page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_shop_page_fits_and_shows_name_stars_poll_and_placeholders(
    browser, shop_server, seeded, width
):
    context, page = _open(browser, seeded["media"], width)
    base = f"http://bellhouse.localhost:{shop_server}"
    try:
        # when a shopper opens the shop page
        assert page.goto(base + "/").status == 200
        page.wait_for_load_state("load")
        _shot(page, f"shop-{width}")

        # then it fits the window, and the shop's name is shown with its logo
        assert _overflow(page) == 0
        brand = page.locator("header .brand")
        assert brand.locator("img.logo").is_visible()
        assert brand.get_by_text("Bellhouse Ceramics").is_visible()

        # the poll's options are rows as wide as the form, their text beside the radio
        options = page.locator(".section-poll label.poll-option")
        assert options.count() == 3
        form_width = page.locator(".section-poll fieldset").bounding_box()["width"]
        for index in range(3):
            option = options.nth(index).bounding_box()
            radio = options.nth(index).locator("input[type=radio]").bounding_box()
            assert option["width"] >= form_width * 0.9
            assert radio["width"] <= 48
            assert option["height"] >= 44  # a comfortable tap target
            assert abs(radio["y"] + radio["height"] / 2 - (option["y"] + option["height"] / 2)) < 12
        page.get_by_text("Tenmoku brown").click()  # the text checks its radio
        assert page.get_by_label("Tenmoku brown").is_checked()

        # pictureless products show a placeholder with their initial, not a blank square
        placeholder = page.locator(".product-card", has_text="Ash Plate").locator(".no-image")
        assert placeholder.inner_text().strip() == "A"
        assert placeholder.bounding_box()["height"] > 40

        # the card of the reviewed product reads its average with partial stars
        stars = page.locator(".product-card", has_text="Speckled Mug").locator(".stars")
        assert stars.get_attribute("aria-label") == "4.5 out of 5 stars"
        _assert_partial_fifth_star(stars)

        # the product page's summary too
        assert page.goto(base + "/products/speckled-mug/").status == 200
        _shot(page, f"product-{width}")
        assert _overflow(page) == 0
        summary = page.locator(".rating-summary .stars")
        assert summary.get_attribute("aria-label") == "4.5 out of 5 stars"
        _assert_partial_fifth_star(summary)
    finally:
        context.close()


def _assert_partial_fifth_star(stars) -> None:
    """The filled layer covers 90 % of the five stars (4.5 of 5), not all of them."""
    whole = stars.bounding_box()["width"]
    filled = stars.locator(".stars-filled").bounding_box()["width"]
    assert 0.85 * whole <= filled <= 0.95 * whole, (filled, whole)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_post_page_fits_with_its_tag_labels(browser, shop_server, seeded, width):
    context, page = _open(browser, seeded["media"], width)
    base = f"http://bellhouse.localhost:{shop_server}"
    try:
        # (the page's beacon answered before the shop is dropped after the test)
        with page.expect_response(lambda response: "/insights/events/" in response.url):
            assert page.goto(f"{base}/posts/{seeded['post_id']}/").status == 200
        _shot(page, f"post-{width}")

        assert _overflow(page) == 0
        frame = page.locator(".post-picture-frame").bounding_box()
        labels = page.locator(".post-tag-label")
        assert labels.count() == 2
        for index in range(2):
            box = labels.nth(index).bounding_box()
            assert box["x"] >= frame["x"] - 1
            assert box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
        # the whole product name is there for a screen reader and on hover
        long_tag = page.locator(".post-tag", has_text="Hand-thrown")
        assert LONG_TITLE in long_tag.inner_text() or long_tag.get_attribute("title") == LONG_TITLE
    finally:
        context.close()


def test_two_shoppers_in_one_household_both_vote_in_the_poll(
    browser, shop_server, seeded, django_db_blocker
):
    """Two browsers on one address (both are 127.0.0.1 here), each voting on the shop
    page: each gets a token of its own before voting, and both votes count."""
    base = f"http://bellhouse.localhost:{shop_server}"
    for choice in ("Tenmoku brown", "Shino white"):
        context, page = _open(browser, seeded["media"], 390)
        try:
            page.goto(base + "/")
            page.get_by_text(choice).click()
            with page.expect_navigation():
                page.get_by_role("button", name="Vote").click()
            assert "You have already voted" not in page.content()
            assert page.get_by_text("Thanks for voting!").is_visible()
            assert page.evaluate("localStorage.getItem('etalage-shopper-token')")
        finally:
            context.close()
    with django_db_blocker.unblock(), tenant_context(seeded["shop"]):
        counts = dict(PollOption.objects.values_list("text", "vote_count"))
        assert len(set(PollVote.objects.values_list("voter", flat=True))) == 2
    assert counts == {"Celadon green": 0, "Tenmoku brown": 1, "Shino white": 1}


@pytest.mark.parametrize("width", WIDTHS)
def test_a_shopper_searches_from_the_shop_page(browser, shop_server, seeded, width):
    context, page = _open(browser, seeded["media"], width)
    try:
        page.goto(f"http://bellhouse.localhost:{shop_server}/")
        page.get_by_role("searchbox", name="Search products").fill("speck")
        with page.expect_navigation():
            page.get_by_role("button", name="Search").click()
        _shot(page, f"search-{width}")

        assert _overflow(page) == 0
        assert page.get_by_role("heading", name="Results for “speck”").is_visible()
        cards = page.locator(".product-card-title")
        # the mug by its title, the bowl by "speckled" in its title too
        assert sorted(cards.all_inner_texts()) == [LONG_TITLE, "Speckled Mug"]
        assert page.get_by_role("searchbox", name="Search products").input_value() == "speck"
    finally:
        context.close()


def test_two_shoppers_in_one_household_both_count_as_helpful_in_the_embed(
    browser, shop_server, seeded
):
    base = f"http://bellhouse.localhost:{shop_server}"
    for expected in ("1", "2"):
        context, page = _open(browser, seeded["media"], 390)
        try:
            page.goto(f"{base}/embed/?product=speckled-mug&sort=newest")
            form = page.locator("form[data-review-vote]").first
            with page.expect_response(lambda response: "/vote/" in response.url) as answer:
                form.get_by_role("button", name="Yes").click()
            assert answer.value.status == 200
            expect(form.locator('[data-count="helpful"]')).to_have_text(expected)
            assert page.context.cookies() == []
        finally:
            context.close()
