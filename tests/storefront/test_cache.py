"""The shop page cache: per shop, retired on publish and on catalog changes."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from catalog.collections import (
    collection_create,
    collection_delete,
    collection_set_products,
    collection_update,
)
from catalog.models import CatalogChange, Variant
from catalog.services import product_update, stock_adjust, stock_set, variant_update
from shops.page_cache import shop_page_version
from shops.storefront import services
from shops.storefront.sections import REGISTRY
from tests.catalog.test_product_page import make_product
from tests.posts.conftest import published_post
from tests.reviews.helpers import approved_review, photo
from tests.reviews.test_polls import make_poll
from tests.storefront.helpers import headings, product, shopper


def queries(path: str, slug: str = "alpha") -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = shopper(slug).get(path)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_a_cached_page_costs_no_query(shop_a):
    first, _ = queries("/")
    second, _ = queries("/")

    # routing (3), design, products with their count (none: nothing more), the header's
    # collections menu (one, whatever their number: tests/storefront/test_collections_menu.py)
    assert first == 6
    assert second == 0  # the shop by host from the cache too (tests/shops/test_host_lookup.py)


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


def _version(shop) -> int:
    with tenant_context(shop):
        return shop_page_version()


@pytest.mark.parametrize(
    "change",
    [
        lambda variant: stock_adjust(variant=variant, delta=-1),  # an order takes one
        lambda variant: stock_set(variant=variant, stock=9),  # a count
        lambda variant: variant_update(variant=variant, stock=9),  # an edit
    ],
    ids=["adjust", "set", "update"],
)
def test_a_stock_change_that_keeps_availability_keeps_the_cached_page(
    shop_a, django_capture_on_commit_callbacks, change
):
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        mug = product("Mug", slug="mug", stock=10)
    shopper().get("/")  # cached
    version = _version(shop_a)

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        change(Variant.objects.get(product=mug))
    count, html = queries("/")

    with tenant_context(shop_a):
        assert Variant.objects.get(product=mug).stock == 9
        last_change = CatalogChange.objects.filter(product_id=mug.id).latest("id")
    assert last_change.aspects == ["availability", "stock"]  # the channels still hear of it
    assert _version(shop_a) == version
    assert count == 0  # served from the cache, the shop by host too
    assert "Out of stock" not in html


@pytest.mark.parametrize(
    "change",
    [
        lambda variant: stock_adjust(variant=variant, delta=-1),
        lambda variant: stock_set(variant=variant, stock=0),
        lambda variant: variant_update(variant=variant, stock=0),
    ],
    ids=["adjust", "set", "update"],
)
def test_selling_the_last_one_retires_the_cached_page(
    shop_a, django_capture_on_commit_callbacks, change
):
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        mug = product("Mug", slug="mug", stock=1)
    assert "Out of stock" not in shopper().get("/").content.decode()

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        change(Variant.objects.get(product=mug))
    count, html = queries("/")

    assert count > 2  # rendered again
    assert "Out of stock" in html


def test_stock_coming_back_retires_the_cached_page(shop_a, django_capture_on_commit_callbacks):
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        mug = product("Mug", slug="mug", stock=0)
    assert "Out of stock" in shopper().get("/").content.decode()

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        stock_adjust(variant=Variant.objects.get(product=mug), delta=5)

    assert "Out of stock" not in shopper().get("/").content.decode()


def test_an_edit_from_a_stale_copy_still_sees_stock_coming_back(
    shop_a, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        mug = product("Mug", slug="mug", stock=1)
        stale = Variant.objects.get(product=mug)  # the merchant's form, opened at 1
        stock_adjust(variant=Variant.objects.get(product=mug), delta=-1)  # the last one sold
    assert "Out of stock" in shopper().get("/").content.decode()

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        variant_update(variant=stale, stock=3)  # 1 → 3 for the form, 0 → 3 in truth

    assert "Out of stock" not in shopper().get("/").content.decode()


def test_a_price_change_with_stock_retires_the_cached_page(
    shop_a, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        mug = product("Mug", slug="mug", price="20.00", stock=10)
    shopper().get("/")

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        variant_update(variant=Variant.objects.get(product=mug), stock=9, price="22.00")

    assert "€22.00" in shopper().get("/").content.decode()


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


def test_each_shop_page_shows_its_own_poll_reviews_and_posts(shop_a, shop_b, media):
    # given: two shops with the same feature sections, each with a poll, a review, a post
    for shop, name in ((shop_a, "Alpha"), (shop_b, "Beta")):
        with tenant_context(shop):
            for kind in ("poll", "reviews_wall", "posts_gallery"):
                services.section_add(section_type_key=kind)
            services.design_publish()
            mug = product(f"{name} mug", slug="mug")
            approved_review(mug, body=f"{name} review")
            published_post(mug, caption=f"{name} post")
            make_poll(question=f"{name} poll?", options=(f"{name} yes", f"{name} no"))

    # when
    alpha = shopper("alpha").get("/").content.decode()
    beta = shopper("beta").get("/").content.decode()

    # then: each page reads its own shop's rows only
    for html, own, other in ((alpha, "Alpha", "Beta"), (beta, "Beta", "Alpha")):
        assert f"{own} review" in html and f"{own} poll?" in html and f"{own} yes" in html
        assert f"Open the post: {own} post" in html
        assert other not in html


def test_shop_page_queries_stay_constant_with_every_section_type(shop_a, media):
    def design() -> None:
        collection_create(title="Picks", slug="picks", kind="automatic", rule_tags=["pick"])
        for kind in sorted(REGISTRY):  # every type there is (the product grid is there)
            if kind == "product_grid":
                continue
            section = services.section_add(section_type_key=kind)
            if kind == "featured_collection":
                services.section_update(section_id=section["id"], settings={"collection": "picks"})
        services.design_publish()

    def data(prefix: str, count: int) -> None:
        products = [
            make_product(
                title=f"{prefix}{index}",
                slug=f"{prefix.lower()}{index}",
                sku_prefix=f"{prefix}{index}",
                variants=2 + index % 2,
                images=index % 2,
                tags=["pick"],
            )
            for index in range(count)
        ]
        for index, item in enumerate(products):
            approved_review(
                item,
                body=f"Lovely {prefix}{index}",
                ip=f"192.0.2.{index + 1}",
                photos=[photo(), photo("plum")] if index % 3 == 0 else None,
            )
            published_post(
                *products[max(0, index - 4) : index + 1], caption=f"{prefix} post {index}"
            )
        poll = make_poll(
            question=f"{prefix}: which colour next?",
            options=[f"{prefix} colour {n}" for n in range(min(10, 2 + count // 2))],
        )
        for position, option in enumerate(poll.options.order_by("position")):
            option.product, option.vote_count = products[position % count], 3 * position
            option.save()

    with tenant_context(shop_a):
        design()
        data("A", 2)
    few, few_html = queries("/")
    cache.clear()
    with tenant_context(shop_a):
        data("B", 12)
    many, many_html = queries("/")
    cache.clear()
    embed_count, _ = queries("/embed/")
    product_embed_count, _ = queries("/embed/?product=b1")

    # routing (3), the design, the collections it names, products of every section (with
    # counts and ratings), their variants, their images, the poll with its options (vote
    # counts, products), the reviews wall with products and first photos, the posts,
    # their pictures, their tags; the shop page also its header's collections menu (one)
    assert few == many == 14
    assert embed_count == 13  # no menu in the embed
    # SET search_path (the shop by host is cached by the embed before), design, product,
    # variants, images, rating, a page of reviews, and (cold cache) whether the shop can sell
    assert product_embed_count == 9  # with reviews: their photos (prefetched) too
    for html in (few_html, many_html):  # every type rendered something
        assert html.count('<section class="section') == len(REGISTRY)
    assert few_html.count('class="product-card"') == 4  # 2 in the collection, 2 in the grid
    assert many_html.count('class="product-card"') == 8 + 14
    assert many_html.count('class="posts-grid-item"') == 9
    assert "B: which colour next?" in many_html
    assert many_html.count('class="poll-option"') == 8  # the open poll's form
    assert 'B colour 7 · <a href="/products/b7/">B7</a>' in many_html
    wall = many_html.split('class="reviews-wall"')[1].split("</ul>")[0]
    assert wall.count('class="review"') == 6  # the section's default limit
    assert wall.count("<img ") == 5  # reviews with photos first: B0, B3, B6, B9, A0
    assert '<a href="/products/b9/">B9</a>' in wall


def test_each_shop_features_its_own_collection_of_the_same_handle(shop_a, shop_b):
    for shop, title in ((shop_a, "Alpha picks"), (shop_b, "Beta picks")):
        with tenant_context(shop):
            mug = product(f"{title} mug", slug="mug")
            picks = collection_create(title=title, slug="picks")
            collection_set_products(collection=picks, product_ids=[mug.id])
            section = services.section_add(section_type_key="featured_collection", position=0)
            services.section_update(section_id=section["id"], settings={"collection": "picks"})
            services.design_publish()

    alpha, beta = shopper("alpha").get("/").content, shopper("beta").get("/").content

    assert headings(alpha) == ["Alpha picks", "Products"]
    assert headings(beta) == ["Beta picks", "Products"]
    assert b"Beta picks mug" not in alpha and b"Alpha picks mug" not in beta


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


def test_renaming_or_deleting_a_collection_retires_the_cached_page(
    shop_a, django_capture_on_commit_callbacks
):
    """Every write path (API, admin) goes through catalog.collections, which retires the
    page; a rename without new products once left the old page cached."""
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        collection = collection_create(title="Summer", slug="summer")
    with tenant_context(shop_a):
        before = shop_page_version()
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        collection_update(collection=collection, title="Winter")
    with tenant_context(shop_a):
        renamed = shop_page_version()
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        collection_delete(collection=collection)
    with tenant_context(shop_a):
        deleted = shop_page_version()

    assert before < renamed < deleted
