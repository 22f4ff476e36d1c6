"""A NUL character (U+0000) typed, pasted or sent anywhere is answered with an error a
person can act on, never a 500 (PostgreSQL refuses NUL in text and in JSON), and
nothing is written. Refused rather than stripped: a title, SKU or filter silently
changed would not be what the person meant."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import tenant_context

from catalog.models import Product
from reviews.models import Review
from shops.storefront import services as storefront
from shops.storefront.models import Design
from tests.api.conftest import api_a, error_of, make_key  # noqa: F401
from tests.catalog.test_admin import product_post
from tests.catalog.test_imports import report_rows, run_job, simple_rows
from tests.conftest import owner_client
from tests.orders.conftest import ADDRESS, buy, selling_a, shirt, shopper  # noqa: F401
from tests.reviews.helpers import make_product, shopper_client
from tests.reviews.test_submission import form
from tests.storefront.helpers import owner

NUL = "Linen\x00Tee"


def test_the_admin_product_form_names_the_field(shop_a):
    response = owner_client().post("/admin/catalog/product/add/", product_post(title=NUL))

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    with tenant_context(shop_a):
        assert not Product.objects.exists()


def test_the_partner_api_answers_400_naming_the_field(api_a):  # noqa: F811
    body = {"title": NUL, "variants": [{"sku": "T\x00", "price": "5"}]}

    response = api_a.post("/api/v1/products/", json.dumps(body))

    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == ("null_characters_not_allowed", "title")
    assert {e["field"] for e in error["errors"]} == {"title", "variants[0].sku"}


def test_a_csv_cell_with_a_nul_skips_its_product_naming_the_cell(shop_a):
    rows = simple_rows("linen-tee", "TEE-1") + simple_rows("mug", "MUG-1")
    rows[0]["Title"] = NUL

    with tenant_context(shop_a):
        job = run_job(rows)

        assert job.status == "succeeded"
        assert report_rows(job)[1] == [
            "2",
            "linen-tee",
            "Title",
            "The Title cell holds an invisible NUL character; remove it "
            "(or save the file again as CSV UTF-8) and import again.",
        ]
        assert list(Product.objects.values_list("slug", flat=True)) == ["mug"]


def test_a_review_body_with_a_nul_is_a_form_error(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()

    response = shopper_client().post(f"/products/{product.slug}/reviews/", form(body=NUL))

    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("settings-heading", NUL),
        ("tagline", NUL),
        ("announcement", NUL),
        ("social_instagram", "https://instagram.com/shop\x00"),
    ],
)
def test_designer_texts_with_a_nul_are_refused_beside_the_field(shop_a, field, value):
    client = owner()
    client.post("/admin/storefront/design/", {"action": "add_section", "section_type": "hero"})
    with tenant_context(shop_a):
        before = Design.objects.get().draft
    section = before["sections"][-1]
    if field.startswith("settings-"):
        data = {"action": "update_section", "section_id": section["id"], field: value}
    else:
        data = {"action": "branding", **before["branding"], field: value}
        data = {k: v for k, v in data.items() if isinstance(v, str)}

    response = client.post("/admin/storefront/design/", data)

    assert response.status_code == 400
    with tenant_context(shop_a):
        assert Design.objects.get().draft == before


def test_the_branding_service_refuses_a_nul_naming_the_place(shop_a):
    with tenant_context(shop_a), pytest.raises(ValidationError) as raised:
        storefront.branding_update(values={"tagline": NUL})

    assert raised.value.error_list[0].path == "branding.tagline"
    assert "NUL character" in raised.value.messages[0]


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/admin/catalog/product/", {"status__exact": NUL}),
        ("/admin/orders/order/", {"status__exact": NUL}),
        ("/admin/reviews/review/", {"status__exact": NUL}),
        ("/admin/posts/post/", {"status__exact": NUL}),
        ("/search/", {"q": NUL}),
        ("/embed/", {"product": "tee\x00"}),
    ],
)
def test_a_nul_in_a_query_parameter_is_a_400_naming_it(shop_a, path, query):
    response = owner_client().get(path, query)

    assert response.status_code == 400
    name = next(iter(query))
    assert f"“{name}” parameter holds a NUL character" in response.content.decode()


def test_a_nul_in_an_api_query_parameter_is_a_json_400(api_a):  # noqa: F811
    response = api_a.get("/api/v1/products/", {"status": NUL})

    assert response.status_code == 400
    assert (error_of(response)["code"], error_of(response)["field"]) == ("nul_character", "status")


def test_checkout_address_fields_with_a_nul_are_a_400_naming_the_field(
    selling_a,  # noqa: F811 (the fixture imported above)
):
    body = {
        "items": [{"variant_id": selling_a.id, "quantity": 1}],
        "email": "ada@example.test",
        "shipping_address": {**ADDRESS, "line1": NUL},
    }

    response = buy(shopper(), body)

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "shipping_address.line1"
