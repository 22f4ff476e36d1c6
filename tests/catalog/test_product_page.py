"""The product page and the shop page's product list, as a shopper's browser gets them."""

import io
import json
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context
from PIL import Image

from catalog.demo import demo_catalog_seed, gtin_with_check_digit
from catalog.images import product_image_add
from catalog.models import Product
from catalog.services import VariantInput, product_create, validate_gtin
from orders.payment_accounts import payment_account_set_keys

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def shopper(slug: str = "alpha") -> Client:
    return Client(HTTP_HOST=f"{slug}.localhost")


def picture(colour: str = "teal", size: tuple[int, int] = (800, 600)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def make_product(
    *,
    title: str = "Canvas Tote",
    variants: int = 1,
    images: int = 0,
    stock: int = 5,
    sku_prefix: str = "TOTE",
    **fields,
) -> Product:
    fields.setdefault("status", Product.Status.ACTIVE)
    if variants > 1:
        fields.setdefault("option1_name", "Size")
    product = product_create(
        title=title,
        variants=[
            VariantInput(
                sku=f"{sku_prefix}-{index}",
                price=Decimal("24.00") + index,
                stock=stock,
                options=[f"Size {index}"] if variants > 1 else [],
            )
            for index in range(variants)
        ],
        **fields,
    )
    for index in range(images):
        product_image_add(
            product=product, file=picture(), alt_text=f"View {index}" if index else ""
        )
    return product


def json_ld(response) -> dict:
    (block,) = JSON_LD.findall(response.content.decode())
    return json.loads(block)


def meta(response, name: str) -> str:
    attribute = "property" if name.startswith(("og:", "product:")) else "name"
    match = re.search(
        rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', response.content.decode()
    )
    assert match, f"no <meta {attribute}={name}>"
    return match.group(1)


@pytest.fixture
def sells(shop_a, stripe_settings) -> None:
    """Shop alpha has Stripe keys (checked at localstripe): its pages offer Buy now."""
    with tenant_context(shop_a):
        payment_account_set_keys(
            secret_key="sk_test_alpha", publishable_key="pk_test_alpha", webhook_secret="whsec_a"
        )


# --- the product page -----------------------------------------------------------------------


def test_product_page_shows_title_price_in_shop_currency_and_srcset(shop_a, media):
    with tenant_context(shop_a):
        make_product(title="Canvas Tote", images=2, slug="canvas-tote")

    response = shopper().get("/products/canvas-tote/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 id="product-title">Canvas Tote</h1>' in html
    assert "<strong data-price>€24.00</strong>" in html
    assert re.search(
        r'srcset="/media/shop_alpha/products/\S+-320\.webp 320w, \S+-640\.webp 640w, \S+-800\.webp 800w"',
        html,
    )
    assert 'width="800" height="600" alt="Canvas Tote"' in html  # alt falls back to the title
    assert 'alt="View 1"' in html
    assert html.count('loading="eager"') == 1 and html.count('loading="lazy"') == 1
    assert '<html lang="en">' in html


def test_price_uses_the_currency_minor_units_and_symbol(shop_a):
    shop_a.currency = "JPY"
    shop_a.save(update_fields=["currency"])
    with tenant_context(shop_a):
        product_create(
            title="Tea Bowl",
            slug="tea-bowl",
            status="active",
            variants=[VariantInput(sku="BOWL", price="1500", stock=3)],
        )

    response = shopper().get("/products/tea-bowl/")

    assert "<strong data-price>¥1,500</strong>" in response.content.decode()
    assert meta(response, "product:price:amount") == "1500"
    assert meta(response, "product:price:currency") == "JPY"
    assert json_ld(response)["offers"]["price"] == "1500"


def test_compare_at_price_is_struck_through_when_higher(shop_a):
    with tenant_context(shop_a):
        product_create(
            title="Sale Mug",
            slug="sale-mug",
            status="active",
            variants=[VariantInput(sku="MUG", price="10.00", compare_at_price="14.00", stock=1)],
        )

    html = shopper().get("/products/sale-mug/").content.decode()

    assert (
        '<s class="compare-at" data-compare-at><span class="visually-hidden">was</span> '
        "<span data-compare-at-price>€14.00</span></s>"
    ) in html


def test_variant_query_parameter_changes_the_price_and_the_buy_button(shop_a, sells):
    with tenant_context(shop_a):
        product = make_product(variants=3, slug="tote")
        second = product.variants.get(sku="TOTE-2")

    default = shopper().get("/products/tote/").content.decode()
    chosen = shopper().get(f"/products/tote/?variant={second.id}").content.decode()

    assert "<strong data-price>€24.00</strong>" in default
    assert "<strong data-price>€26.00</strong>" in chosen
    assert '<option value="Size 2" selected>Size 2 · €26.00</option>' in chosen
    assert f'data-variant="{second.id}">Buy now</button>' in chosen
    assert '<label for="variant-option1">Size</label>' in chosen


@pytest.mark.parametrize("value", ["999999", "abc", ""])
def test_unknown_variant_is_ignored_and_the_default_shown(shop_a, value):
    with tenant_context(shop_a):
        make_product(variants=2, slug="tote")

    response = shopper().get(f"/products/tote/?variant={value}")

    assert response.status_code == 200
    assert "<strong data-price>€24.00</strong>" in response.content.decode()


def test_another_products_variant_id_is_ignored(shop_a):
    with tenant_context(shop_a):
        make_product(variants=2, slug="tote")
        other = make_product(title="Mug", slug="mug", sku_prefix="MUG").variants.get()

    html = shopper().get(f"/products/tote/?variant={other.id}").content.decode()

    assert "<strong data-price>€24.00</strong>" in html
    assert f'data-variant="{other.id}"' not in html


def test_default_variant_is_the_first_in_stock(shop_a):
    with tenant_context(shop_a):
        product = make_product(variants=3, slug="tote", stock=0)
        product.variants.filter(sku="TOTE-1").update(stock=4)

    html = shopper().get("/products/tote/").content.decode()

    assert "<strong data-price>€25.00</strong>" in html
    assert "Out of stock" not in html.split("<form")[0]


def test_out_of_stock_variant_is_labelled_and_cannot_be_bought(shop_a, sells):
    with tenant_context(shop_a):
        product = make_product(variants=2, slug="tote")
        sold_out = product.variants.get(sku="TOTE-1")
        sold_out.stock = 0
        sold_out.save()

    html = shopper().get(f"/products/tote/?variant={sold_out.id}").content.decode()

    assert '<option value="Size 1" selected>Size 1 · €25.00 (out of stock)</option>' in html
    assert (
        '<p class="stock stock-out" data-availability>Out of stock in this option (Size 1)</p>'
        in (html)
    )
    assert (
        f'<button type="button" class="button buy-now" data-variant="{sold_out.id}" '
        'disabled aria-disabled="true">Buy now</button>'
    ) in html


def test_whole_product_out_of_stock(shop_a, sells):
    with tenant_context(shop_a):
        make_product(variants=2, slug="tote", stock=0)

    response = shopper().get("/products/tote/")

    html = response.content.decode()
    assert '<p class="stock stock-out" data-availability>Out of stock</p>' in html
    assert 'disabled aria-disabled="true">Buy now</button>' in html
    assert meta(response, "product:availability") == "out of stock"
    offers = json_ld(response)["offers"]
    assert offers["availability"] == "https://schema.org/OutOfStock"
    assert {offer["availability"] for offer in offers["offers"]} == {
        "https://schema.org/OutOfStock"
    }


def test_in_stock_product_has_an_enabled_buy_button(shop_a, sells):
    with tenant_context(shop_a):
        variant = make_product(slug="tote", stock=3).variants.get()

    response = shopper().get("/products/tote/")

    html = response.content.decode()
    assert (
        f'<button type="button" class="button buy-now" data-variant="{variant.id}">Buy now</button>'
        in html
    )
    assert '<p class="stock stock-in" data-availability>In stock: only 3 left</p>' in html
    assert meta(response, "product:availability") == "in stock"


@pytest.mark.parametrize("status", [Product.Status.DRAFT, Product.Status.ARCHIVED])
def test_unpublished_product_is_not_found(shop_a, status):
    with tenant_context(shop_a):
        make_product(slug="tote", status=status)

    assert shopper().get("/products/tote/").status_code == 404


def test_unknown_product_is_not_found(shop_a):
    assert shopper().get("/products/no-such-thing/").status_code == 404


def test_one_shops_product_is_not_found_on_another_shops_host(shop_a, shop_b):
    with tenant_context(shop_a):
        make_product(slug="alpha-only")

    assert shopper("alpha").get("/products/alpha-only/").status_code == 200
    assert shopper("beta").get("/products/alpha-only/").status_code == 404


def test_head_has_seo_open_graph_and_twitter_tags_with_absolute_urls(shop_a, media):
    with tenant_context(shop_a):
        make_product(
            slug="tote",
            images=1,
            variants=2,
            description="<p>Roomy <strong>canvas</strong> bag &amp; more.</p>",
        )

    response = shopper().get("/products/tote/?variant=ignored")

    html = response.content.decode()
    assert "<title>Canvas Tote · Alpha Goods</title>" in html
    assert '<meta name="description" content="Roomy canvas bag &amp; more.">' in html
    assert '<link rel="canonical" href="http://alpha.localhost/products/tote/">' in html
    assert meta(response, "og:type") == "product"
    assert meta(response, "og:title") == "Canvas Tote"
    assert meta(response, "og:description") == "Roomy canvas bag &amp; more."
    assert meta(response, "og:url") == "http://alpha.localhost/products/tote/"
    assert meta(response, "og:site_name") == "Alpha Goods"
    assert re.fullmatch(
        r"http://alpha\.localhost/media/shop_alpha/products/\S+-800\.webp",
        meta(response, "og:image"),
    )
    assert meta(response, "product:price:amount") == "24.00"
    assert meta(response, "product:price:currency") == "EUR"
    assert meta(response, "product:availability") == "in stock"
    assert meta(response, "twitter:card") == "summary_large_image"
    assert meta(response, "twitter:image:alt") == "Canvas Tote"


def test_seo_title_and_description_win_and_long_text_is_truncated(shop_a):
    with tenant_context(shop_a):
        make_product(slug="tote", seo_title="Best tote", seo_description="Carry it all.")
        make_product(
            title="Long", slug="long", sku_prefix="LONG", description="<p>" + "word " * 100 + "</p>"
        )

    seo = shopper().get("/products/tote/")
    long = shopper().get("/products/long/")

    assert "<title>Best tote · Alpha Goods</title>" in seo.content.decode()
    assert meta(seo, "og:description") == "Carry it all."
    assert len(meta(long, "description")) == 160
    assert meta(long, "description").endswith("…")


def test_json_ld_is_a_schema_org_product_with_one_offer(shop_a, media):
    gtin = gtin_with_check_digit("400638133393")
    with tenant_context(shop_a):
        variant = make_product(
            slug="tote",
            images=2,
            brand="Etalage",
            gtin=gtin,
            condition="refurbished",
            description="<p>Roomy &amp; strong</p>",
        ).variants.get()

    data = json_ld(shopper().get("/products/tote/"))

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Product"
    assert data["name"] == "Canvas Tote"
    assert data["description"] == "Roomy & strong"
    assert data["sku"] == "TOTE-0"
    assert data["brand"] == {"@type": "Brand", "name": "Etalage"}
    assert data["gtin13"] == gtin
    assert len(data["image"]) == 2
    assert all(url.startswith("http://alpha.localhost/media/shop_alpha/") for url in data["image"])
    assert data["offers"] == {
        "@type": "Offer",
        "url": f"http://alpha.localhost/products/tote/?variant={variant.id}",
        "sku": "TOTE-0",
        "price": "24.00",
        "priceCurrency": "EUR",
        "availability": "https://schema.org/InStock",
        "itemCondition": "https://schema.org/RefurbishedCondition",
    }


def test_paragraphs_and_list_items_do_not_run_together_in_plain_text(shop_a):
    with tenant_context(shop_a):
        make_product(
            slug="tote", description="<p>Roomy.</p><ul><li>Canvas</li><li>Cotton<br>strap</li></ul>"
        )

    response = shopper().get("/products/tote/")

    assert meta(response, "description") == "Roomy. Canvas Cotton strap"
    assert json_ld(response)["description"] == "Roomy. Canvas Cotton strap"


def test_json_ld_has_an_aggregate_offer_for_several_variants(shop_a):
    with tenant_context(shop_a):
        product = make_product(slug="tote", variants=3, mpn="ES-1")
        product.variants.filter(sku="TOTE-2").update(stock=0)

    data = json_ld(shopper().get("/products/tote/"))

    assert "sku" not in data
    assert data["mpn"] == "ES-1"
    offers = data["offers"]
    assert offers["@type"] == "AggregateOffer"
    assert (offers["lowPrice"], offers["highPrice"], offers["offerCount"]) == ("24.00", "26.00", 3)
    assert offers["priceCurrency"] == "EUR"
    assert offers["availability"] == "https://schema.org/InStock"
    assert [(o["sku"], o["price"], o["availability"]) for o in offers["offers"]] == [
        ("TOTE-0", "24.00", "https://schema.org/InStock"),
        ("TOTE-1", "25.00", "https://schema.org/InStock"),
        ("TOTE-2", "26.00", "https://schema.org/OutOfStock"),
    ]


def test_title_and_description_cannot_break_out_of_the_json_ld_script(shop_a, sells):
    title = "</script><script>alert(1)</script>"
    with tenant_context(shop_a):
        make_product(
            title=title,
            slug="evil",
            description="<p>&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;</p><script>alert(3)</script>",
        )

    response = shopper().get("/products/evil/")

    html = response.content.decode()
    assert "<script>alert" not in html
    # the JSON-LD, buy-now's, the bag's, reviews' and the insights beacon's script files
    assert html.count("</script>") == 5
    assert html.count('<script src="/static/orders/buy_now.js" defer></script>') == 1
    assert html.count('<script src="/static/reviews/reviews.js" defer></script>') == 1
    data = json_ld(response)
    assert data["name"] == title
    assert data["description"] == "</script><script>alert(2)</script>"


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_product_page_queries_do_not_grow_with_variants_and_images(shop_a, media):
    with tenant_context(shop_a):
        make_product(title="Small", slug="small", sku_prefix="S", variants=1, images=1)
        make_product(title="Big", slug="big", sku_prefix="B", variants=20, images=6)

    first_of_all = _queries(shopper(), "/products/big/")
    small = _queries(shopper(), "/products/small/")
    big = _queries(shopper(), "/products/big/")

    # search_path to the shop (the shop by host is cached), product, variants, images, the
    # rating and a page of reviews (their photos: one more, when there are reviews)
    assert small == big == 6
    # and routing (search_path to public, shop by host), the shop's branding, its
    # collections menu and payments, then kept in the cache
    assert first_of_all == 11


# --- the shop page's product list -------------------------------------------------------------


def test_shop_page_lists_active_products_with_price_and_badges(shop_a, media):
    with tenant_context(shop_a):
        make_product(title="Tote", slug="tote", sku_prefix="T", variants=3, images=1)
        make_product(title="Mug", slug="mug", sku_prefix="M", stock=0)
        make_product(title="Secret", slug="secret", sku_prefix="X", status="draft")

    html = shopper().get("/").content.decode()

    assert '<h1 id="shop-title">Alpha Goods</h1>' in html
    assert "Secret" not in html
    assert re.findall(r'<span class="product-card-title">([^<]+)</span>', html) == ["Mug", "Tote"]
    assert '<span class="product-card-price">from €24.00</span>' in html
    assert '<span class="product-card-price">€24.00</span>' in html
    assert html.count('<span class="badge badge-out">Out of stock</span>') == 1
    assert '<a href="/products/tote/">' in html
    assert re.search(r'srcset="\S+-320\.webp 320w, \S+-640\.webp 640w, \S+-800\.webp 800w"', html)


def test_shop_page_empty_state(shop_a):
    html = shopper().get("/").content.decode()

    assert "Products will appear here soon." in html
    assert "product-grid" not in html


def test_shop_page_paginates_24_products_a_page(shop_a):
    with tenant_context(shop_a):
        for index in range(30):
            make_product(title=f"Product {index:02d}", slug=f"p{index}", sku_prefix=f"P{index}")

    first = shopper().get("/").content.decode()
    second = shopper().get("/?page=2").content.decode()
    beyond = shopper().get("/?page=99").content.decode()

    assert first.count('class="product-card"') == 24
    assert second.count('class="product-card"') == 6
    assert "Page 1 of 2" in first and '<a rel="next" href="?page=2">Next</a>' in first
    assert "Page 2 of 2" in second and '<a rel="prev" href="?page=1">Previous</a>' in second
    assert "Product 29" in second and "Product 29" not in first
    assert "Page 2 of 2" in beyond


def test_shop_page_queries_do_not_grow_with_products(shop_a, media):
    with tenant_context(shop_a):
        for index in range(2):
            make_product(
                title=f"A{index}", slug=f"a{index}", sku_prefix=f"A{index}", variants=2, images=1
            )
    few = _queries(shopper(), "/")
    cache.clear()  # the page is cached per shop; measure a fresh render
    with tenant_context(shop_a):
        for index in range(28):
            make_product(
                title=f"B{index}",
                slug=f"b{index}",
                sku_prefix=f"B{index}",
                variants=4,
                images=index % 3,
            )
    many = _queries(shopper(), "/")

    # search_path to public, shop by host, search_path to the shop, design, products (with
    # their count and ratings), their variants, their images, the header's collections menu
    assert few == many == 8


# --- demo data ---------------------------------------------------------------------------------


def test_demo_catalog_seed_is_idempotent(shop_a, media):
    with tenant_context(shop_a):
        first = demo_catalog_seed(limit=3)
        second = demo_catalog_seed(limit=3)
        products = list(Product.objects.prefetch_related("variants", "images"))

    assert (first, second) == (3, 0)
    assert [p.slug for p in products] == ["harbour-tee", "lagoon-tee", "saffron-tee"]
    for product in products:
        assert product.variants.count() == 4
        assert product.images.count() >= 1
        assert all(image.status == "ready" and image.renditions for image in product.images.all())
        validate_gtin(product.gtin)


def test_demo_catalog_has_about_30_products_with_an_out_of_stock_one_and_a_draft():
    from catalog.demo import demo_products

    products = demo_products()

    assert len(products) == 30
    assert len({p.slug for p in products}) == 30
    assert [p.slug for p in products if p.status == "draft"] == ["coral-tee"]
    assert sum(all(v.stock == 0 for v in p.variants) for p in products) >= 2
    for product in products:
        validate_gtin(product.gtin)
