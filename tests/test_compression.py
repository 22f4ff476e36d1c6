"""Answers are gzipped for clients that ask (HTML, JSON; feeds in tests/channels), plain
for the others."""

from __future__ import annotations

import gzip

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from catalog.services import VariantInput, product_create
from tests.api.conftest import ApiClient, make_key  # noqa: F401 (a fixture)


@pytest.mark.parametrize("accept", ["gzip", "gzip, deflate, br", None])
def test_the_shop_page_is_gzipped_when_asked(shop_a, accept):
    extra = {"HTTP_ACCEPT_ENCODING": accept} if accept else {}
    client = Client(HTTP_HOST="alpha.localhost", **extra)

    # the first view renders the page, the second comes from the cache: both compressed
    answers = [client.get("/"), client.get("/")]

    for answer in answers:
        assert answer.status_code == 200
        if accept:
            assert answer["Content-Encoding"] == "gzip"
            assert "Accept-Encoding" in answer["Vary"]
            html = gzip.decompress(answer.content)
        else:
            assert "Content-Encoding" not in answer
            html = answer.content
        assert b'<h1 id="shop-title">Alpha Goods</h1>' in html


def test_an_api_answer_is_gzipped_when_asked(shop_a, make_key):  # noqa: F811
    with tenant_context(shop_a):
        for number in range(5):
            product_create(
                title=f"Linen Tee {number}", variants=[VariantInput(sku=f"T{number}", price="9")]
            )
    client = ApiClient("alpha", make_key(shop_a))

    zipped = client.get("/api/v1/products/", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/api/v1/products/")

    assert zipped.status_code == plain.status_code == 200
    assert zipped["Content-Encoding"] == "gzip"
    assert zipped["Content-Type"] == "application/json"
    assert "Content-Encoding" not in plain
    assert gzip.decompress(zipped.content) == plain.content
