"""In a real browser: the XSS corpus (tests/xss.py, every payload concatenated into each
field, cut at the field's length) written through every field a merchant, a partner, a
shopper or an import can fill that a page shows: the shop's name, branding and every
section's texts and links, product title, description, option names and values,
collection name and description, post caption, picture description, partner and tag
labels, review and poll texts, shipping zone and rate names, the buyer's name and
address, a checkout link's coupon and campaign. Each shopper page, admin page and the
confirmation email that shows them opens with no dialog, no injected element, and the
text shown as text."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from catalog.collections import collection_create, collection_set_products
from catalog.images import product_image_add
from catalog.services import VariantInput, product_create
from orders.links import order_confirmation_path, order_page_path
from orders.services import shipping_rate_create, shipping_zone_create
from reviews.models import Review
from reviews.services import review_moderate, review_reply, review_submit
from shops.models import Shop
from shops.posts import services as posts
from shops.posts.models import Post
from shops.storefront import services as storefront
from shops.storefront.sections import REGISTRY
from tests.catalog.test_admin_browser import log_in
from tests.orders.conftest import paid_order, shop_sells
from tests.orders.test_confirmation_browser import confirmation_email
from tests.posts.conftest import page_serving_media, picture
from tests.reviews.helpers import a_shopper
from tests.reviews.test_polls import make_poll
from tests.xss import INJECTED, XSS, corpus

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-hostile"))  # noqa: S108
LINK = "/search/?q=\"><svg onload=alert('link')>"  # a shop path: allowed, must stay an address


@pytest.fixture
def page(browser, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the live server runs in this process
    with page_serving_media(browser, tmp_path, viewport={"width": 1280, "height": 900}) as page:
        yield page


def _design() -> None:
    """Every section type added, each text setting the corpus, each link a hostile path;
    a ``javascript:`` link is refused."""
    storefront.branding_update(values={"tagline": corpus(200), "announcement": corpus(200)})
    with pytest.raises(ValidationError):
        storefront.branding_update(values={"announcement_link": XSS[3]})
    storefront.branding_update(values={"announcement_link": LINK})
    for key, kind in REGISTRY.items():
        section = storefront.section_add(section_type_key=key)
        settings = {}
        for name, field in kind.form.base_fields.items():
            if name.endswith("link"):
                with pytest.raises(ValidationError):
                    storefront.section_update(section_id=section["id"], settings={name: XSS[3]})
                settings[name] = LINK
            elif name == "html":
                settings[name] = corpus(5000)
            elif type(field).__name__ == "CharField":
                settings[name] = corpus(field.max_length or 200)
        if key == "featured_collection":
            settings["collection"] = "hostile-picks"
        storefront.section_update(section_id=section["id"], settings=settings)
    storefront.design_publish()


def _seed(shop: Shop, localstripe: str) -> dict:
    shop.name = corpus(100)
    shop.save(update_fields=["name"])
    with tenant_context(shop):
        shop_sells(shop.slug)
        product = product_create(
            title=corpus(255),
            slug="hostile-tee",
            status="active",
            description=corpus(5000),
            option1_name=corpus(64),
            brand=corpus(120),
            product_type=corpus(120),
            tags=[XSS[1][:64], XSS[2][:64]],
            seo_title=corpus(255),
            seo_description=corpus(320),
            variants=[
                VariantInput(sku="H-1", price="20.00", stock=9, options=[corpus(100)]),
                VariantInput(sku="H-2", price="21.00", stock=9, options=[XSS[1][:100]]),
            ],
        )
        product_image_add(product=product, file=picture(), alt_text="")  # alt: the title
        product_image_add(product=product, file=picture(), alt_text=corpus(255))
        collection = collection_create(
            title=corpus(255), slug="hostile-picks", description=corpus(1000)
        )
        collection_set_products(collection=collection, product_ids=[product.id])
        post = posts.post_create(
            images=[posts.ImageInput(file=picture(), alt_text=corpus(255))],
            tags=[[posts.TagInput(product_id=product.id, x=0.3, y=0.4)]],
            caption=corpus(2200),
            status=Post.Status.PUBLISHED,
            published_at=timezone.now(),
            is_paid_partnership=True,
            partner_name=corpus(120),
        )
        review = review_submit(
            product=product,
            rating=2,
            title=corpus(120),
            body=corpus(5000),
            display_name=corpus(60),
            email="critic@example.test",
            shopper=a_shopper("10.8.0.1"),
        )
        review_moderate(reviews=Review.objects.filter(pk=review.pk), status="approved")
        review_reply(review=review, reply=corpus(5000))
        poll = make_poll(corpus(200), options=[corpus(120), XSS[2]])
        zone = shipping_zone_create(name=corpus(100), countries=["FR"])
        rate = shipping_rate_create(zone=zone, name=corpus(100), price="4.00")
        _design()
        variant = product.variants.get(sku="H-1")
    connection.set_schema_to_public()
    address = {
        "name": corpus(100),
        "line1": corpus(100),
        "line2": corpus(100),
        "postal_code": "75001",
        "city": corpus(100),
        "country": "FR",
    }
    order = paid_order(shop, shop.slug, [(variant, 1)], localstripe, address, shipping_rate=rate.id)
    with tenant_context(shop):
        confirmation, order_page = (
            order_confirmation_path(order=order),
            order_page_path(order=order),
        )
    connection.set_schema_to_public()
    return {
        "product": product,
        "variant": variant,
        "collection": collection,
        "post": post,
        "poll": poll,
        "review": review,
        "order": order,
        "confirmation": confirmation,
        "order_page": order_page,
    }


def visit(page, url: str, dialogs: list[str]) -> str:
    response = page.goto(url)
    assert response.status == 200, url
    page.wait_for_load_state("load")
    page.wait_for_timeout(150)  # scripts that render (the bag, the checkout) have run
    assert page.evaluate(INJECTED) == [], url
    assert dialogs == [], url
    return page.locator("body").inner_text()


def test_the_corpus_in_every_field_renders_as_text_on_every_page(
    page, shop_server, committed_shop, django_db_blocker, stripe_settings, localstripe
):
    shop = committed_shop("hostile").shop
    with django_db_blocker.unblock():
        seeded = _seed(shop, localstripe)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    base = f"http://hostile.localhost:{shop_server}"
    product, post, variant = seeded["product"], seeded["post"], seeded["variant"]
    first = XSS[0]  # '<script>alert("x1")</script>', shown as these very characters

    SHOTS.mkdir(parents=True, exist_ok=True)
    text = visit(page, f"{base}/", dialogs)
    page.screenshot(path=SHOTS / "xss-shop-page.png")
    assert text.count(first) >= 8  # name, tagline, announcement, section texts, cards…
    assert page.title().startswith(corpus(100)[:40])
    for path in (
        f"/search/?q={quote(corpus(200))}",
        f"/products/{product.slug}/",
        f"/collections/{seeded['collection'].slug}/",
        f"/posts/{post.id}/",
        f"/polls/{seeded['poll'].id}/",
        "/embed/",
        f"/embed/?product={product.slug}",
    ):
        assert first in visit(page, base + path, dialogs), path
    assert page.get_by_role("heading", level=1).first.inner_text() == corpus(255)
    page.screenshot(path=SHOTS / "xss-product-embed.png", full_page=True)

    # the bag and the checkout draw titles and options with script from the API
    page.evaluate(
        "(id) => localStorage.setItem('etalage:bag:' + location.host,"
        " JSON.stringify([{variant_id: id, quantity: 2}]))",
        variant.id,
    )
    assert first in visit(page, f"{base}/bag/", dialogs)
    assert first in visit(page, f"{base}/embed/?bag=1", dialogs)
    checkout = (
        f"{base}/checkout/?products={variant.id}:1"
        f"&coupon={quote(XSS[2])}&utm_source={quote(XSS[1])}&utm_campaign={quote(XSS[9])}"
    )
    assert first in visit(page, checkout, dialogs)
    page.get_by_label("Country").select_option("FR")  # the quote names the shipping rate
    expect(page.get_by_role("group", name="Shipping method")).to_contain_text(corpus(100))
    assert page.evaluate(INJECTED) == [] and dialogs == []
    page.screenshot(path=SHOTS / "xss-checkout.png", full_page=True)

    for path in (seeded["confirmation"], seeded["order_page"]):
        shown = visit(page, base + path, dialogs)
        assert corpus(100) in shown, path  # the buyer's name and address as text
    page.screenshot(path=SHOTS / "xss-order-page.png", full_page=True)

    # the confirmation email, its HTML opened as a mail client that runs nothing would
    email = confirmation_email(seeded["order"].number)
    assert corpus(100) in email.body  # the shop's name, the buyer's address: as text
    page.set_content(email.alternatives[0][0])
    assert page.evaluate(INJECTED) == [] and dialogs == []
    assert corpus(100) in page.locator("body").inner_text()

    log_in(page, base, "hostile")
    for path in (
        f"/admin/catalog/product/{product.id}/change/",
        f"/admin/orders/order/{seeded['order'].id}/change/",
        "/admin/reviews/review/",
        f"/admin/reviews/review/{seeded['review'].id}/change/",
        f"/admin/posts/post/{post.id}/change/",
        f"/admin/catalog/collection/{seeded['collection'].id}/change/",
        "/admin/storefront/design/",
        "/admin/storefront/design/preview/",
        "/admin/orders/shippingzone/",
    ):
        visit(page, base + path, dialogs)
    page.screenshot(path=SHOTS / "xss-admin-shipping.png", full_page=True)
    assert re.search(r"alert", " ".join(dialogs)) is None
