"""Catalog resources: products with variants and images, stock, collections."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from django.utils.dateparse import parse_datetime
from django_tenants.utils import tenant_context
from PIL import Image

from catalog.collections import collection_create
from catalog.models import CatalogChange, Collection, Product, ProductImage, Variant
from catalog.services import VariantInput, product_create
from tests.api.conftest import ApiClient, error_of
from tests.catalog.conftest import ImageServer


def png_bytes(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "PNG")
    return buffer.getvalue()


def test_create_product_with_variants(shop_a, api_a):
    response = api_a.post(
        "/api/v1/products/",
        {
            "title": "Linen Shirt",
            "status": "active",
            "tags": ["linen", "summer"],
            "option_names": ["Size"],
            "variants": [
                {"sku": "LS-S", "price": "49.90", "stock": 3, "options": ["S"]},
                {"sku": "LS-M", "price": 52, "compare_at_price": "60", "options": ["M"]},
            ],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Linen Shirt" and body["slug"] == "linen-shirt"
    assert body["option_names"] == ["Size"]
    assert [
        (v["sku"], v["price"], v["compare_at_price"], v["currency"], v["stock"])
        for v in body["variants"]
    ] == [
        ("LS-S", "49.90", None, "EUR", 3),
        ("LS-M", "52.00", "60.00", "EUR", 0),
    ]
    assert parse_datetime(body["created"]).tzinfo is not None
    with tenant_context(shop_a):
        product = Product.objects.get(pk=body["id"])
        assert product.tags == ["linen", "summer"]
        assert CatalogChange.objects.filter(product_id=product.pk).count() == 1


def test_service_validation_errors_name_their_field(shop_a, api_a):
    with tenant_context(shop_a):
        product_create(title="Taken", variants=[VariantInput(sku="TAKEN", price="1")])

    bad_price = api_a.post(
        "/api/v1/products/",
        {"title": "Cheap", "variants": [{"sku": "C-1", "price": "1.999"}]},
    )
    duplicate = api_a.post(
        "/api/v1/products/", {"title": "Again", "variants": [{"sku": "TAKEN", "price": "2"}]}
    )
    bad_gtin = api_a.post("/api/v1/products/", {"title": "Coded", "gtin": "12345678"})

    assert bad_price.status_code == 400
    assert error_of(bad_price)["field"] == "variants[0].price"
    assert duplicate.status_code == 400
    assert error_of(duplicate) | {"errors": None} == {
        "code": "duplicate_sku",
        "message": "The SKU TAKEN is already used; SKUs are unique in a shop.",
        "field": "sku",
        "errors": None,
    }
    assert error_of(bad_gtin)["code"] == "gtin_check"
    assert error_of(bad_gtin)["field"] == "gtin"


def test_serializer_errors_are_listed_with_the_first_on_top(api_a):
    response = api_a.post("/api/v1/products/", {"status": "sold", "variants": [{"sku": "X"}]})

    error = error_of(response)
    assert response.status_code == 400
    fields = [item["field"] for item in error["errors"]]
    assert set(fields) == {"title", "status", "variants[0].price"}
    assert error["field"] == fields[0]
    assert {item["code"] for item in error["errors"]} == {"required", "invalid_choice"}


def test_update_and_delete_product(shop_a, api_a):
    with tenant_context(shop_a):
        product = product_create(title="Old", variants=[VariantInput(sku="OLD", price="1")])

    updated = api_a.patch(f"/api/v1/products/{product.pk}/", {"title": "New", "brand": "Acme"})
    deleted = api_a.delete(f"/api/v1/products/{product.pk}/")
    gone = api_a.get(f"/api/v1/products/{product.pk}/")

    assert updated.status_code == 200
    assert (updated.json()["title"], updated.json()["brand"]) == ("New", "Acme")
    assert deleted.status_code == 204
    assert gone.status_code == 404
    assert error_of(gone) == {
        "code": "not_found",
        "message": "No such object in this shop.",
        "field": None,
    }
    with tenant_context(shop_a):
        kinds = list(
            CatalogChange.objects.filter(product_id=product.pk).values_list("kind", "aspects")
        )
    assert kinds[1:] == [("upsert", ["details", "title"]), ("delete", [])]


def test_a_digital_product_is_marked_as_not_requiring_shipping(shop_a, api_a):
    created = api_a.post(
        "/api/v1/products/",
        {
            "title": "Pattern PDF",
            "variants": [{"sku": "PDF", "price": "8"}],
        },
    )
    updated = api_a.patch(f"/api/v1/products/{created.json()['id']}/", {"requires_shipping": False})

    assert created.json()["requires_shipping"] is True  # physical unless said otherwise
    assert (updated.status_code, updated.json()["requires_shipping"]) == (200, False)
    with tenant_context(shop_a):
        assert Product.objects.get(slug="pattern-pdf").requires_shipping is False


def test_stock_adjust_and_set(shop_a, api_a):
    with tenant_context(shop_a):
        product = product_create(title="Mug", variants=[VariantInput(sku="MUG", price="9")])
        variant = product.variants.get()
    path = f"/api/v1/variants/{variant.pk}/stock/"

    added = api_a.post(path, {"adjust": 5})
    removed = api_a.post(path, {"adjust": -2})
    too_many = api_a.post(path, {"adjust": -4})
    counted = api_a.post(path, {"set": 40})
    both = api_a.post(path, {"set": 1, "adjust": 1})

    assert [added.json()["stock"], removed.json()["stock"], counted.json()["stock"]] == [5, 3, 40]
    assert too_many.status_code == 400
    assert error_of(too_many)["code"] == "insufficient_stock"
    assert error_of(too_many)["field"] == "adjust"
    assert error_of(both)["code"] == "adjust_or_set"
    with tenant_context(shop_a):
        assert Variant.objects.get(pk=variant.pk).stock == 40


def test_variant_create_update_delete(shop_a, api_a):
    with tenant_context(shop_a):
        product = product_create(
            title="Tee",
            option1_name="Size",
            variants=[VariantInput(sku="T-S", price="20", options=["S"])],
        )

    created = api_a.post(
        "/api/v1/variants/",
        {"product": product.pk, "sku": "T-M", "price": "21.50", "options": ["M"], "stock": 2},
    )
    patched = api_a.patch(f"/api/v1/variants/{created.json()['id']}/", {"price": "19"})
    listed = api_a.get("/api/v1/variants/", {"product": product.pk})
    removed = api_a.delete(f"/api/v1/variants/{created.json()['id']}/")

    assert created.status_code == 201, created.content
    assert created.json()["position"] == 1
    assert patched.json()["price"] == "19.00"
    assert [v["sku"] for v in listed.json()["results"]] == ["T-S", "T-M"]
    assert removed.status_code == 204
    with tenant_context(shop_a):
        assert list(product.variants.values_list("sku", flat=True)) == ["T-S"]


def test_collections(shop_a, api_a):
    with tenant_context(shop_a):
        one = product_create(title="One")
        two = product_create(title="Two")

    manual = api_a.post("/api/v1/collections/", {"title": "Picks", "product_ids": [two.pk, one.pk]})
    automatic = api_a.post(
        "/api/v1/collections/",
        {"title": "Cheap", "kind": "automatic", "rule_max_price": "10"},
    )
    no_rules = api_a.post("/api/v1/collections/", {"title": "Empty", "kind": "automatic"})
    unknown = api_a.patch(
        f"/api/v1/collections/{manual.json()['id']}/", {"product_ids": [999999999]}
    )
    reordered = api_a.patch(
        f"/api/v1/collections/{manual.json()['id']}/",
        {"product_ids": [one.pk], "is_published": False},
    )

    assert manual.status_code == 201
    assert manual.json()["product_ids"] == [two.pk, one.pk]
    assert automatic.json()["rule_max_price"] == "10.00"
    assert automatic.json()["currency"] == "EUR"
    assert error_of(no_rules)["code"] == "no_rules"
    assert error_of(unknown)["field"] == "product_ids"
    assert reordered.json()["product_ids"] == [one.pk]
    assert reordered.json()["is_published"] is False
    assert api_a.delete(f"/api/v1/collections/{automatic.json()['id']}/").status_code == 204
    with tenant_context(shop_a):
        assert list(Collection.objects.values_list("title", flat=True)) == ["Picks"]


def test_image_upload_multipart(shop_a, api_a, media):
    with tenant_context(shop_a):
        product = product_create(title="Poster")

    def send(boundary: str, alt_text: str = "A teal poster"):
        upload = SimpleUploadedFile("poster.png", png_bytes(), content_type="image/png")
        return api_a.client.post(
            f"/api/v1/products/{product.pk}/images/",
            encode_multipart(boundary, {"file": upload, "alt_text": alt_text}),
            content_type=f"multipart/form-data; boundary={boundary}",
            headers={**api_a.headers, "Idempotency-Key": "upload-1"},
        )

    response = send("first-boundary")
    replayed = send("another-boundary")  # a retry: same fields and file, new boundary
    changed = send("third-boundary", alt_text="Another picture")
    broken = api_a.client.post(
        f"/api/v1/products/{product.pk}/images/",
        {"file": SimpleUploadedFile("x.png", b"not an image")},
        headers=api_a.headers,
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["alt_text"], body["width"]) == ("ready", "A teal poster", 40)
    assert body["url"].startswith("http://alpha.localhost/")
    assert replayed["Idempotent-Replayed"] == "true" and replayed.json() == body
    assert changed.status_code == 409
    with tenant_context(shop_a):
        assert ProductImage.objects.filter(product=product).count() == 1
    assert broken.status_code == 400
    assert error_of(broken)["field"] == "file"


def test_image_by_url_is_fetched_by_the_task_after_commit(
    shop_a, api_a, image_server, media, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a):
        product = product_create(title="Print")
    ImageServer.routes = {"/print.png": (200, png_bytes(), 0)}

    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = api_a.post(
            f"/api/v1/products/{product.pk}/images/", {"url": f"{image_server}/print.png"}
        )
    fetched = api_a.get(f"/api/v1/products/{product.pk}/")
    removed = api_a.delete(f"/api/v1/products/{product.pk}/images/{response.json()['id']}/")

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["url"]) == ("pending", "")
    assert response.json()["source_url"] == f"{image_server}/print.png"
    # the fetch task, the shop page's cache bump and the sales channels' sync queueing
    # (catalog.outbox listener), once the request's transaction committed
    assert len(queued) == 3
    image = fetched.json()["images"][0]
    assert (image["status"], image["width"], image["height"]) == ("ready", 40, 30)
    assert list(image["renditions"]) == ["40"]  # never upscaled: one at its own width
    assert image["url"].startswith("http://alpha.localhost/media/")
    assert removed.status_code == 204
    assert api_a.get(f"/api/v1/products/{product.pk}/").json()["images"] == []


def test_bad_image_url_is_a_field_error(shop_a, api_a):
    with tenant_context(shop_a):
        product = product_create(title="Print")

    response = api_a.post(f"/api/v1/products/{product.pk}/images/", {"url": "ftp://x/y.png"})

    assert response.status_code == 400
    assert error_of(response)["field"] == "url"


def test_list_filters_ordering_and_cursor_pages(shop_a, api_a):
    with tenant_context(shop_a):
        for index, title in enumerate(["Cedar", "Apple", "Birch", "Dune", "Elm"]):
            product_create(
                title=title,
                status="active" if index % 2 == 0 else "draft",
                tags=["wood"] if title != "Apple" else [],
                variants=[VariantInput(sku=f"SKU-{title}", price="1")],
            )

    first = api_a.get("/api/v1/products/", {"ordering": "title", "limit": 2})
    second = api_a.client.get(first.json()["next"], headers=api_a.headers)
    active = api_a.get("/api/v1/products/", {"status": "active", "ordering": "-title"})
    wood = api_a.get("/api/v1/products/", {"tag": "wood", "sku": "SKU-Birch"})
    bad = api_a.get("/api/v1/products/", {"updated_after": "yesterday"})

    assert [p["title"] for p in first.json()["results"]] == ["Apple", "Birch"]
    assert [p["title"] for p in second.json()["results"]] == ["Cedar", "Dune"]
    assert first.json()["previous"] is None
    assert [p["title"] for p in active.json()["results"]] == ["Elm", "Cedar", "Birch"]
    assert [p["title"] for p in wood.json()["results"]] == ["Birch"]
    assert bad.status_code == 400 and error_of(bad)["field"] == "updated_after"


@pytest.mark.parametrize("count", [3, 30])
def test_list_query_count_is_constant(shop_a, api_a, count, django_assert_num_queries):
    with tenant_context(shop_a):
        for number in range(count):
            product = product_create(
                title=f"P{number}",
                variants=[
                    VariantInput(sku=f"P{number}-{v}", price="5", options=[str(v)])
                    for v in range(3)
                ],
            )
            ProductImage.objects.create(product=product, status="ready", source_url="http://x/")
    api_a.get("/api/v1/products/")  # the key's last use is recorded once a minute

    # the key, products, variants, images; SET search_path (the shop by host is cached)
    with django_assert_num_queries(5):
        response = api_a.get("/api/v1/products/", {"limit": 100})

    assert len(response.json()["results"]) == count
    assert all(len(p["variants"]) == 3 for p in response.json()["results"])


@pytest.mark.parametrize("count", [3, 30])
def test_other_lists_query_counts_are_constant(shop_a, api_a, count, django_assert_num_queries):
    with tenant_context(shop_a):
        products = [
            product_create(title=f"P{n}", variants=[VariantInput(sku=f"V{n}", price="1")])
            for n in range(count)
        ]
        for number in range(count):
            collection_create(title=f"C{number}", product_ids=[p.pk for p in products[:3]])
    api_a.get("/api/v1/variants/")

    # the key, then the rows; SET search_path each time (the shop by host is cached)
    with django_assert_num_queries(3):  # variants
        variants = api_a.get("/api/v1/variants/", {"limit": 100})
    with django_assert_num_queries(4):  # collections, their products
        collections = api_a.get("/api/v1/collections/", {"limit": 100})

    assert len(variants.json()["results"]) == count
    assert len(collections.json()["results"]) == count


def test_shop_a_key_cannot_read_or_change_shop_b_products(shop_a, shop_b, make_key):
    with tenant_context(shop_b):
        theirs = product_create(
            title="Beta only", variants=[VariantInput(sku="B", price="3", stock=7)]
        )
        variant_id = theirs.variants.get().pk
    with tenant_context(shop_a):
        product_create(title="Alpha only", variants=[VariantInput(sku="A", price="3")])
        # ids are per schema: make sure alpha has no rows with beta's ids
        Product.objects.filter(pk=theirs.pk).exclude(title="Alpha only").delete()
        Variant.objects.filter(pk=variant_id).exclude(sku="A").delete()
        alpha_ids = set(Product.objects.values_list("pk", flat=True))
    client = ApiClient("alpha", make_key(shop_a))

    listed = client.get("/api/v1/products/")
    read = client.get(f"/api/v1/products/{theirs.pk}/")
    changed = client.patch(f"/api/v1/products/{theirs.pk}/", {"title": "Hacked"})
    stock = client.post(f"/api/v1/variants/{variant_id}/stock/", {"set": 0})

    assert [p["title"] for p in listed.json()["results"]] == ["Alpha only"]
    if theirs.pk not in alpha_ids:
        assert (read.status_code, changed.status_code) == (404, 404)
    assert all(r.json().get("title") != "Beta only" for r in (read, changed))
    with tenant_context(shop_b):
        theirs.refresh_from_db()
        assert theirs.title == "Beta only"
        assert Variant.objects.get(pk=variant_id).stock == 7
    assert stock.status_code in (200, 404)


def test_hand_built_representations_have_exactly_the_declared_fields(shop_a):
    from shops.api.catalog.serializers import ImageSerializer, VariantSerializer, money

    with tenant_context(shop_a):
        product = product_create(title="F", variants=[VariantInput(sku="F", price="3.1")])
        image = ProductImage.objects.create(product=product, status="pending")
        variant = product.variants.get()

    assert set(VariantSerializer(variant).data) == set(VariantSerializer.Meta.fields)
    assert set(ImageSerializer(image).data) == set(ImageSerializer.Meta.fields)
    assert (money(Decimal("3.1")), money(None)) == ("3.10", None)


def test_products_built_directly_match_drfs_field_by_field_answer(shop_a, api_a):
    """The list's fast path (ProductSerializer.to_representation) says what DRF would."""
    from rest_framework import serializers

    from shops.api.catalog.serializers import ProductSerializer

    with tenant_context(shop_a):
        product = product_create(
            title="Tee",
            tags=["cotton"],
            option1_name="Size",
            variants=[VariantInput(sku=f"TEE-{size}", price="5", options=[size]) for size in "SM"],
        )
        ProductImage.objects.create(
            product=product,
            status="ready",
            image="products/t.jpg",
            width=800,
            height=600,
            renditions={"320": "products/t-320.webp"},
        )
    listed = api_a.get("/api/v1/products/").json()["results"][0]

    with tenant_context(shop_a):
        from django.test import RequestFactory

        request = RequestFactory().get("/", HTTP_HOST="alpha.localhost")
        request.shop = shop_a
        row = Product.objects.get(pk=product.pk)
        row.variant_list, row.image_list = (
            list(row.variants.order_by("position", "id")),
            list(row.images.all()),
        )
        serializer = ProductSerializer(context={"request": request})
        generic = serializers.ModelSerializer.to_representation(serializer, row)

    assert list(listed) == list(generic)
    assert json.loads(json.dumps(listed)) == json.loads(json.dumps(generic, default=str))


def test_a_variants_barcode_and_mpn_are_written_checked_and_read(shop_a, api_a):
    with tenant_context(shop_a):
        product = product_create(
            title="Tee",
            option1_name="Size",
            variants=[VariantInput(sku="T-S", price="20", options=["S"])],
        )

    created = api_a.post(
        "/api/v1/variants/",
        {
            "product": product.pk,
            "sku": "T-M",
            "price": "21",
            "options": ["M"],
            "gtin": "4006381333948",
        },
    )
    variant_id = created.json()["id"]
    patched = api_a.patch(f"/api/v1/variants/{variant_id}/", {"mpn": "TEE-M-1"})
    wrong = api_a.patch(f"/api/v1/variants/{variant_id}/", {"gtin": "4006381333949"})
    custom = api_a.patch(f"/api/v1/products/{product.pk}/", {"is_custom_goods": True})
    read = api_a.get(f"/api/v1/products/{product.pk}/").json()

    assert created.status_code == 201
    assert (patched.status_code, patched.json()["gtin"], patched.json()["mpn"]) == (
        200,
        "4006381333948",
        "TEE-M-1",
    )
    assert wrong.status_code == 400
    assert error_of(wrong)["field"] == "gtin"
    assert error_of(wrong)["message"] == "The GTIN's check digit is wrong; check for a typo."
    assert custom.status_code == 200 and read["is_custom_goods"] is True
    assert [(v["sku"], v["gtin"], v["mpn"]) for v in read["variants"]] == [
        ("T-S", "", ""),
        ("T-M", "4006381333948", "TEE-M-1"),
    ]
