"""The shop's product search (``/search/?q=``): full-text over the shop's own active
products, best match first, paginated, with clear empty states and nothing from another
shop."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import tenant_context

from catalog.models import Product
from catalog.selectors import PRODUCTS_PER_PAGE
from tests.storefront.helpers import product, shopper


def titles(html: str) -> list[str]:
    return [part.split("</span>")[0] for part in html.split('class="product-card-title">')[1:]]


def test_search_finds_active_products_by_title_tags_and_prefix_best_first(shop_a):
    connection.set_tenant(shop_a)
    product("Speckled Mug", slug="speckled-mug", tags=["stoneware"])
    product("Tea Bowl", slug="tea-bowl", description="<p>A bowl, not a mug.</p>")
    product("Stoneware Plate", slug="plate")
    product("Mug Rack", slug="rack", status=Product.Status.DRAFT)

    mugs = shopper().get("/search/", {"q": "mug"}).content.decode()
    stone = shopper().get("/search/", {"q": "STONEWARE"}).content.decode()
    both = shopper().get("/search/", {"q": "speckled stone"}).content.decode()

    assert titles(mugs) == ["Speckled Mug", "Tea Bowl"]  # the title's match first; no draft
    assert "2 products found" in mugs
    assert titles(stone) == ["Stoneware Plate", "Speckled Mug"]
    assert titles(both) == ["Speckled Mug"]


def test_empty_search_and_no_match_say_so(shop_a):
    connection.set_tenant(shop_a)
    product("Speckled Mug", slug="speckled-mug")

    empty = shopper().get("/search/", {"q": "   "})
    nothing = shopper().get("/search/", {"q": "<script>alert(1)</script> teapot"})
    punctuation = shopper().get("/search/", {"q": "&|!:*()'_"})

    assert empty.status_code == nothing.status_code == punctuation.status_code == 200
    assert "Type what you are looking for" in empty.content.decode()
    html = nothing.content.decode()
    assert "No products match “&lt;script&gt;alert(1)&lt;/script&gt; teapot”" in html
    assert "<script>alert(1)" not in html
    assert "Type what you are looking for" not in punctuation.content.decode()
    assert "No products match" in punctuation.content.decode()


def test_search_results_are_paginated(shop_a):
    connection.set_tenant(shop_a)
    for index in range(PRODUCTS_PER_PAGE + 2):
        product(f"Mug {index:02d}", slug=f"mug-{index}")

    first = shopper().get("/search/", {"q": "mug"}).content.decode()
    second = shopper().get("/search/", {"q": "mug", "page": 2}).content.decode()
    beyond = shopper().get("/search/", {"q": "mug", "page": "x"}).content.decode()

    assert len(titles(first)) == PRODUCTS_PER_PAGE
    assert titles(second) == ["Mug 24", "Mug 25"]
    assert 'href="?q=mug&amp;page=2"' in first and "Page 2 of 2" in second
    assert titles(beyond) == titles(first)


def test_one_shop_never_finds_anothers_products(shop_a, shop_b):
    with tenant_context(shop_b):
        product("Secret Beta Lamp", slug="lamp")
    connection.set_tenant(shop_a)

    html = shopper("alpha").get("/search/", {"q": "lamp"}).content.decode()

    assert "No products match" in html
    assert "Secret Beta Lamp" not in html


def test_the_shop_page_has_the_search_box_but_not_the_embed(shop_a):
    connection.set_tenant(shop_a)

    page = shopper().get("/").content.decode()
    embed = shopper().get("/embed/").content.decode()

    assert 'role="search"' in page and 'action="/search/"' in page
    assert 'role="search"' not in embed
