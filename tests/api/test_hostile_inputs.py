"""Hostile inputs answered with a clear 4xx, never a 500: what a hostile tester sent to
the landed code (deeply nested JSON to every JSON endpoint, a NUL in the embed's
product, a stock adjustment past the column's limit)."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from catalog.models import Variant
from catalog.services import VariantInput, product_create
from shops.cache_versions import cache_key_part
from tests.api.conftest import error_of

DEPTH = 3000  # beyond Python's recursion limit, within every endpoint's body limit
NESTED = "[" * DEPTH + "]" * DEPTH


def shopper_post(path: str, body: str) -> object:
    return Client(HTTP_HOST="alpha.localhost").post(path, body, content_type="application/json")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/buy-now/", "/api/v1/buy-now/ord_unknown/pay/", "/api/v1/post-events/"],
)
@pytest.mark.parametrize(
    "body", [NESTED, '{"events": ' + NESTED + "}", '{"items": ' + "[" * 40 + "]" * 40 + "}"]
)
def test_deeply_nested_json_to_the_shopper_endpoints_is_a_4xx(shop_a, path, body):
    response = shopper_post(path, body)

    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]


@pytest.mark.parametrize("path", ["/api/v1/products/", "/api/v1/variants/"])
def test_deeply_nested_json_to_the_partner_api_is_a_parse_error(api_a, path):
    response = api_a.post(path, NESTED)

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


@pytest.mark.parametrize(("product", "status"), [("\x00", 400), ("tee\x00", 400), ("%00", 404)])
def test_a_nul_in_the_embedded_product_is_a_4xx(shop_a, product, status):
    response = Client(HTTP_HOST="alpha.localhost").get("/embed/", {"product": product})

    assert response.status_code == status  # a NUL: shops.middleware.NulQueryMiddleware


@pytest.mark.parametrize("query", [{"section": "\x00"}, {"page": "\x00"}, {"section": "x" * 200}])
def test_hostile_embed_and_shop_page_parameters_are_not_a_500(shop_a, query):
    client = Client(HTTP_HOST="alpha.localhost")

    for path in ("/embed/", "/"):
        assert client.get(path, query).status_code in (200, 400, 404)


def test_a_stock_adjustment_past_the_columns_limit_is_a_400(shop_a, api_a):
    with tenant_context(shop_a):
        product = product_create(title="Mug", variants=[VariantInput(sku="MUG", price="9")])
        variant = product.variants.get()
    path = f"/api/v1/variants/{variant.pk}/stock/"
    api_a.post(path, {"adjust": 5})

    response = api_a.post(path, {"adjust": 2147483647})

    assert response.status_code == 400
    assert error_of(response)["code"] == "stock_too_large"
    assert "2,147,483,647" in error_of(response)["message"]
    with tenant_context(shop_a):
        assert Variant.objects.get(pk=variant.pk).stock == 5
    assert api_a.post(path, {"adjust": 2147483642}).json()["stock"] == 2147483647


@pytest.mark.parametrize("text", ["tee\x00", "a b", "caf\u00e9", "x" * 101])
def test_a_cache_key_part_is_always_a_key_every_backend_takes(text):
    part = cache_key_part(text)

    assert part.isascii() and part.isprintable() and " " not in part and len(part) <= 100
    assert cache_key_part(text) == part != cache_key_part(text + "y")


@pytest.mark.parametrize("path", ["/", "/embed/", "/embed.js"])
@pytest.mark.parametrize("method", ["post", "put", "delete", "trace"])
def test_the_shop_page_and_the_embed_answer_only_get_and_head(shop_a, path, method):
    client = Client(HTTP_HOST="alpha.localhost")

    assert getattr(client, method)(path).status_code == 405  # a TRACE of /embed/ was a 200
    assert client.head(path).status_code == 200
