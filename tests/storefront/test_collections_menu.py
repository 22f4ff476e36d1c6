"""The shop's header: a collections menu and the product search on the shop page, the
product page and the post page; ``/collections/<slug>/`` lists a collection's active
products a page at a time."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from catalog.collections import collection_create, collection_set_products
from catalog.models import Product
from shops.storefront.selectors import MENU_COLLECTIONS
from tests.posts.conftest import published_post
from tests.storefront.helpers import product, shopper

MENU_LINKS = re.compile(r'<li><a href="(/collections/[^"]+/)">([^<]+)</a></li>')


def queries(path: str, host: str = "alpha.localhost") -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = shopper().get(path, HTTP_HOST=host)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_the_menu_lists_published_collections_on_every_shop_page(shop_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with tenant_context(shop_a):
        tee = product("Tee", slug="tee")
        collection_create(title="Summer", slug="summer", product_ids=[tee.pk])
        collection_create(title="Archive", slug="archive", is_published=False)
        post = published_post(tee, caption="On the beach")

    for path in (
        "/",
        "/products/tee/",
        f"/posts/{post.pk}/",
        "/search/?q=tee",
        "/collections/summer/",
    ):
        html = shopper().get(path).content.decode()
        assert MENU_LINKS.findall(html) == [("/collections/summer/", "Summer")], path
        assert 'role="search"' in html and 'action="/search/"' in html, path


def test_the_menu_costs_one_query_whatever_the_number_of_collections(shop_a):
    with tenant_context(shop_a):
        collection_create(title="First", slug="first")
    few, _ = queries("/")
    cache.clear()
    with tenant_context(shop_a):
        for number in range(MENU_COLLECTIONS + 5):
            collection_create(title=f"Set {number:02d}", slug=f"set-{number}")
    many, html = queries("/")

    assert few == many
    assert len(MENU_LINKS.findall(html)) == MENU_COLLECTIONS


def test_a_new_collection_reaches_the_cached_menu(shop_a, django_capture_on_commit_callbacks):
    shopper().get("/")  # cached without a menu
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        collection_create(title="Gifts", slug="gifts")

    assert MENU_LINKS.findall(shopper().get("/").content.decode()) == [
        ("/collections/gifts/", "Gifts")
    ]


def test_the_embed_has_neither_menu_nor_search(shop_a):
    with tenant_context(shop_a):
        collection_create(title="Gifts", slug="gifts")

    html = shopper().get("/embed/").content.decode()

    assert not MENU_LINKS.findall(html) and 'role="search"' not in html


def test_a_collection_page_lists_its_active_products_a_page_at_a_time(shop_a):
    with tenant_context(shop_a):
        products = [product(f"Mug {n:02d}", slug=f"mug-{n}") for n in range(30)]
        draft = product("Secret", slug="secret", status=Product.Status.DRAFT)
        collection_create(
            title="Mugs", slug="mugs", product_ids=[p.pk for p in products] + [draft.pk]
        )

    shopper().get("/collections/mugs/")  # the host, theme and menu cached
    first, first_html = queries("/collections/mugs/")
    second, second_html = queries("/collections/mugs/?page=2")
    _, past_html = queries("/collections/mugs/?page=9")

    assert first_html.count('class="product-card"') == 24
    assert second_html.count('class="product-card"') == 6
    assert "Secret" not in first_html + second_html
    assert "30 products" in first_html and "Page 2 of 2" in second_html
    assert 'rel="next" href="?page=2"' in first_html
    assert "Page 2 of 2" in past_html  # past the end: the last page
    assert first == second  # constant whatever the page


def test_the_collection_page_queries_stay_flat_as_products_grow(shop_a):
    with tenant_context(shop_a):
        few_products = [product(f"Cup {n}", slug=f"cup-{n}") for n in range(2)]
        collection = collection_create(
            title="Cups", slug="cups", product_ids=[p.pk for p in few_products]
        )
    few, _ = queries("/collections/cups/")
    cache.clear()
    with tenant_context(shop_a):
        more = [product(f"Bowl {n}", slug=f"bowl-{n}") for n in range(20)]
        collection_set_products(
            collection=collection, product_ids=[p.pk for p in few_products + more]
        )
    many, html = queries("/collections/cups/")

    assert html.count('class="product-card"') == 22
    assert few == many


@pytest.mark.parametrize("path", ["/collections/nope/", "/collections/archive/"])
def test_unknown_or_unpublished_collections_are_not_found(shop_a, path):
    with tenant_context(shop_a):
        collection_create(title="Archive", slug="archive", is_published=False)

    assert shopper().get(path).status_code == 404


def test_a_collection_of_another_shop_is_not_found(shop_a, shop_b):
    with tenant_context(shop_b):
        collection_create(title="Beta only", slug="beta-only")

    assert shopper().get("/collections/beta-only/").status_code == 404
    assert shopper("beta").get("/collections/beta-only/").status_code == 200
