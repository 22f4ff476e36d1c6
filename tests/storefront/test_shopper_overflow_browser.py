"""Every page a shopper sees fits a 390 px phone: a selling shop seeded as the demo is
(products with pictures and options, reviews with photos, a poll, shoppable posts with
tags, a collection) plus a product without pictures and one section of each kind, then
the shop page, product (its reviews and review form), poll, post, collection, search (with and
without hits), bag (with an item), checkout, the embeds (shop, product, bag), the
shopper's order and confirmation pages (by their signed links), the review form of a
signed request link, password reset and find-my-shop, and a 404, opened in Chromium at
390 px. The test fails on any page wider than the screen (document scrollWidth >
clientWidth) or answering an unexpected status, and lists them all."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from catalog.demo import demo_catalog_seed
from catalog.models import Collection, Product
from orders.links import order_link_token
from orders.models import Order
from orders.payment_accounts import payment_account_set_keys
from reviews.demo import demo_reviews_seed
from reviews.models import Poll
from reviews.services.requests import review_link_token
from shops.posts.demo import demo_posts_seed
from shops.posts.models import Post
from shops.storefront import services as design
from shops.storefront.demo import demo_design_seed
from shops.storefront.sections import section_types
from tests.reviews.helpers import paid_order
from tests.storefront.helpers import product

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-a11y")) / "shopper"  # noqa: S108
PHONE = {"width": 390, "height": 844}
LONG_TITLE = "Handgetöpferteporzellanteekannenuntersetzerset in an exceptionally long title"

# the elements sticking out past the window's right edge, to name in the failure
WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
    || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible'))
  .slice(-3)
  .map(e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string'
    ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
    + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture
def seeded(
    committed_shop, django_db_blocker, shop_server, stripe_settings, localstripe, settings, tmp_path
) -> dict:
    """The demo's catalogue, reviews, design and posts in a selling shop, a pictureless
    product with a long title and one section of every kind on the published page."""
    settings.MEDIA_ROOT = tmp_path
    shop = committed_shop("roomy", "Roomy Goods and Gifts of Every Kind").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        payment_account_set_keys(
            secret_key="sk_test_roomy", publishable_key="pk_test_roomy", webhook_secret="whsec_r"
        )
        demo_catalog_seed(limit=6)
        product(LONG_TITLE, slug="bare", price="1234.00")
        demo_reviews_seed()
        demo_design_seed()
        for kind in section_types():
            design.section_add(section_type_key=kind.key)
        design.design_publish()
        demo_posts_seed()
        order = Order.objects.filter(lines__isnull=False).first()
        line = paid_order(Product.objects.get(slug="bare")).lines.get()  # not yet reviewed
        variants = ",".join(f"{v.pk}:2" for v in Product.objects.get(slug="bare").variants.all())
        pictured = Product.objects.filter(images__isnull=False, option1_name__gt="").first()
        seeds = {
            "media": tmp_path,
            "product": pictured.slug,
            "collection": Collection.objects.first().slug,
            "poll": Poll.objects.first().pk,
            "post": Post.objects.first().pk,
            "order": order_link_token(order=order),
            "review_link": review_link_token(order_line=line),
            "checkout": f"{variants},{pictured.variants.first().pk}:1",
        }
        connection.set_schema_to_public()
    return seeds


def shopper_pages(seeds: dict) -> list[tuple[str, int]]:
    """Each page with the status it should answer."""
    slug = seeds["product"]
    return [
        ("/", 200),
        (f"/products/{slug}/", 200),
        ("/products/bare/", 200),
        (f"/reviews/write/{seeds['review_link']}/", 200),
        ("/reviews/about/", 200),
        (f"/polls/{seeds['poll']}/", 200),
        (f"/posts/{seeds['post']}/", 200),
        (f"/collections/{seeds['collection']}/", 200),
        ("/search/?q=tee", 200),
        ("/search/?q=zzzzqqqq", 200),
        ("/bag/", 200),
        (f"/checkout/?products={seeds['checkout']}", 200),
        ("/embed/", 200),
        (f"/embed/?product={slug}", 200),
        ("/embed/?bag=1", 200),
        (f"/orders/{seeds['order']}/", 200),
        (f"/orders/{seeds['order']}/confirmation/", 200),
        ("/admin/password_reset/", 200),
        ("/admin/login/", 200),
        ("/checkout/", 404),
        ("/no-such-page/", 404),
        ("/products/no-such-product/", 404),
    ]


def test_every_shopper_page_fits_a_390_px_phone(browser, seeded, shop_server):
    base = f"http://roomy.localhost:{shop_server}"
    platform = f"http://localhost:{shop_server}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    media = seeded["media"]
    page.route(
        "**/media/**",
        lambda route: route.fulfill(path=Path(media, route.request.url.split("/media/", 1)[1])),
    )
    # an item in the bag, so the bag, its embed and the checkout show their lines
    page.goto(f"{base}/products/{seeded['product']}/")
    page.get_by_role("button", name="Add to bag").click()
    expect(page.locator("[data-bag-count]")).to_have_text("1")

    pages = [(f"{base}{path}", status) for path, status in shopper_pages(seeded)]
    pages += [(f"{platform}/", 200), (f"{platform}/login/", 200), (f"{platform}/signup/", 200)]
    offenders = []
    for number, (url, status) in enumerate(pages):
        response = page.goto(url)
        page.wait_for_load_state("load")
        parts = urlsplit(url)
        name = re.sub(r"[^a-z0-9]+", "-", f"{parts.hostname}{parts.path}{parts.query}".lower())
        page.screenshot(path=str(SHOTS / f"{number:02d}-{name[:60]}.png"), full_page=True)
        width = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if response.status != status:
            offenders.append(f"{url}: answered {response.status}, not {status}")
        elif width[0] > width[1]:
            wide = page.evaluate(WIDE)
            offenders.append(f"{url}: {width[0]} px wide ({', '.join(wide)})")
    context.close()

    assert len(pages) >= 25
    assert not offenders, "pages wider than a 390 px phone:\n" + "\n".join(offenders)
