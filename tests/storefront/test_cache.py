"""The shop page cache: per shop, retired on publish and on catalog changes."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from catalog.collections import collection_create, collection_set_products
from catalog.models import Variant
from catalog.services import product_update, stock_set, variant_update
from shops.storefront import services
from tests.catalog.test_product_page import make_product
from tests.storefront.helpers import headings, product, shopper


def queries(path: str, slug: str = "alpha") -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = shopper(slug).get(path)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_a_cached_page_costs_no_query_after_routing(shop_a):
    first, _ = queries("/")
    second, _ = queries("/")

    assert first == 5  # routing (3), design, products with their count (none: nothing more)
    assert second == 2  # search_path to public, the shop by host


def test_publishing_retires_the_cached_page(shop_a, django_capture_on_commit_callbacks):
    shopper().get("/")  # cached
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        section = services.section_add(section_type_key="rich_text")
        services.section_update(section_id=section["id"], settings={"heading": "News"})
    assert headings(shopper().get("/").content) == ["Products"]  # a draft: still cached

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        services.design_publish()

    assert headings(shopper().get("/").content) == ["Products", "News"]


def test_product_stock_price_and_collection_changes_retire_the_cached_page(
    shop_a, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        mug = product("Mug", slug="mug", price="20.00", stock=2)
    assert "€20.00" in shopper().get("/").content.decode()

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        stock_set(variant=Variant.objects.get(product=mug), stock=0)
    assert "Out of stock" in shopper().get("/").content.decode()

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        variant_update(variant=Variant.objects.get(product=mug), price="25.00")
    assert "€25.00" in shopper().get("/").content.decode()

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        product_update(product=mug, title="Big mug")
    assert "Big mug" in shopper().get("/").content.decode()

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        picks = collection_create(title="Picks", slug="picks")
        section = services.section_add(section_type_key="featured_collection", position=0)
        services.section_update(section_id=section["id"], settings={"collection": "picks"})
        services.design_publish()
    assert headings(shopper().get("/").content) == ["Products"]  # an empty collection

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        collection_set_products(collection=picks, product_ids=[mug.id])
    assert headings(shopper().get("/").content) == ["Picks", "Products"]


def test_each_shop_has_its_own_cache_and_design(shop_a, shop_b, django_capture_on_commit_callbacks):
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        product("Alpha mug", slug="mug")
        section = services.section_add(section_type_key="rich_text")
        services.section_update(section_id=section["id"], settings={"heading": "Alpha news"})
        services.design_publish()
    with tenant_context(shop_b):
        product("Beta mug", slug="mug")

    alpha = shopper("alpha").get("/").content.decode()
    beta = shopper("beta").get("/").content.decode()
    alpha_again = shopper("alpha").get("/").content.decode()

    assert "Alpha mug" in alpha and "Alpha news" in alpha
    assert "Beta mug" in beta and "Alpha" not in beta and headings(beta) == ["Products"]
    assert alpha_again == alpha


def test_shop_page_queries_stay_constant_with_every_product_section(shop_a, media):
    def design() -> None:
        collection_create(title="Picks", slug="picks", kind="automatic", rule_tags=["pick"])
        kinds = ("hero", "featured_collection", "rich_text", "image_with_text", "poll",
                 "reviews_wall")  # fmt: skip
        for kind in kinds:
            section = services.section_add(section_type_key=kind)
            if kind == "featured_collection":
                services.section_update(section_id=section["id"], settings={"collection": "picks"})
        services.design_publish()

    with tenant_context(shop_a):
        design()
        for index in range(2):
            make_product(title=f"A{index}", slug=f"a{index}", sku_prefix=f"A{index}",
                         variants=2, images=1, tags=["pick"])  # fmt: skip
    few, few_html = queries("/")
    cache.clear()
    with tenant_context(shop_a):
        for index in range(30):
            make_product(title=f"B{index}", slug=f"b{index}", sku_prefix=f"B{index}",
                         variants=3, images=index % 2, tags=["pick"])  # fmt: skip
    many, many_html = queries("/")
    cache.clear()
    embed_count, _ = queries("/embed/")
    product_embed_count, _ = queries("/embed/?product=b1")

    # routing (3), design, collections, products of every section (with counts), variants,
    # images, the poll with its options, the reviews wall with products and first photos
    assert few == many == embed_count == 10
    # routing (3), design, product, variants, images, rating, a page of reviews
    assert product_embed_count == 9
    assert few_html.count('class="product-card"') == 4  # 2 in the collection, 2 in the grid
    assert many_html.count('class="product-card"') == 8 + 24


def test_past_the_last_page_shows_the_last_page(shop_a):
    with tenant_context(shop_a):
        for index in range(5):
            product(f"P{index}", slug=f"p{index}")
        services.section_update(section_id="products", settings={"per_page": 4})
        services.design_publish()

    html = shopper().get("/?page=99").content.decode()
    bad = shopper().get("/?page=abc").content.decode()

    assert "Page 2 of 2" in html and '<a rel="prev" href="?page=1">Previous</a>' in html
    assert "Page 1 of 2" in bad


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path
