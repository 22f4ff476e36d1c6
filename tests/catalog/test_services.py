"""Catalog writes: validation with clear messages, nothing half-saved, one outbox row per change."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import tenant_context
from PIL import Image

from catalog.images import product_image_add
from catalog.models import CatalogChange, Product, ProductImage, Variant
from catalog.services import (
    VariantInput,
    outbox_batch,
    outbox_record,
    product_create,
    product_delete,
    product_update,
    products_set_status,
    stock_adjust,
    stock_set,
    variant_update,
)

Aspect = CatalogChange.Aspect


@pytest.fixture
def in_shop_a(shop_a):
    with tenant_context(shop_a):
        yield shop_a


def tee(**overrides) -> Product:
    fields = {
        "title": "Linen Tee",
        "description": "<p>Soft <strong>linen</strong><script>alert(1)</script></p>",
        "brand": "Etalage",
        "tags": "summer, linen, summer",
        "option1_name": "Size",
        "variants": [
            VariantInput(sku="TEE-S", price="19.90", stock=3, options=["S"]),
            VariantInput(
                sku="TEE-M", price="19.90", compare_at_price="25.00", stock=0, options=["M"]
            ),
        ],
    }
    return product_create(**{**fields, **overrides})


def changes() -> list[tuple[str, list[str]]]:
    return [(change.kind, change.aspects) for change in CatalogChange.objects.order_by("id")]


def test_product_create_sanitizes_and_records_one_outbox_row(in_shop_a):
    product = tee()

    assert product.slug == "linen-tee"
    assert product.description == "<p>Soft <strong>linen</strong></p>"
    assert product.tags == ["summer", "linen"]
    assert list(
        product.variants.values_list("sku", "option1", "price", "compare_at_price", "stock")
    ) == [
        ("TEE-S", "S", Decimal("19.90"), None, 3),
        ("TEE-M", "M", Decimal("19.90"), Decimal("25.00"), 0),
    ]
    assert changes() == [
        ("upsert", ["availability", "description", "details", "price", "status", "stock", "title"])
    ]
    assert CatalogChange.objects.get().product_id == product.id


@pytest.mark.parametrize(
    ("variant", "field", "message"),
    [
        (VariantInput(sku="X", price="-1"), "variants[0].price", "The price cannot be negative."),
        (
            VariantInput(sku="X", price="abc"),
            "variants[0].price",
            "The price “abc” is not a number; write it like 19.99.",
        ),
        (
            VariantInput(sku="X", price="1.999"),
            "variants[0].price",
            "EUR amounts have at most 2 decimal places.",
        ),
        (
            VariantInput(sku="X", price="5", compare_at_price="-2"),
            "variants[0].compare_at_price",
            "The compare at price cannot be negative.",
        ),
        (
            VariantInput(sku="X", price="5", stock=-1),
            "variants[0].stock",
            "Stock must be a whole number, 0 or more.",
        ),
        (VariantInput(sku="", price="5"), "variants[0].sku", "Every variant needs a SKU."),
        (
            VariantInput(sku="X", price="5", options=["a", "b", "c", "d"]),
            "variants[0].options",
            "A variant has at most three options.",
        ),
        (
            VariantInput(sku="X" * 65, price="5"),
            "variants[0].sku",
            "SKU is 65 characters long; the limit is 64.",
        ),
    ],
)
def test_bad_variant_input_is_explained_and_nothing_is_saved(in_shop_a, variant, field, message):
    with pytest.raises(ValidationError) as error:
        product_create(title="Mug", variants=[variant])

    assert error.value.message_dict[field] == [message]
    assert Product.objects.count() == 0
    assert CatalogChange.objects.count() == 0


def test_duplicate_skus_are_refused_in_the_request_and_against_the_shop(in_shop_a):
    tee()
    with pytest.raises(ValidationError) as error:
        product_create(title="Other", variants=[VariantInput(sku="TEE-S", price="1")])
    assert error.value.message_dict["sku"] == [
        "The SKU TEE-S is already used; SKUs are unique in a shop."
    ]
    with pytest.raises(ValidationError):
        product_create(
            title="Twice",
            variants=[
                VariantInput(sku="Z", price="1"),
                VariantInput(sku="Z", price="2", options=["b"]),
            ],
        )
    assert Product.objects.count() == 1


def test_same_sku_may_exist_in_another_shop(shop_a, shop_b):
    with tenant_context(shop_a):
        tee()
    with tenant_context(shop_b):
        assert not Product.objects.exists()
        other = tee()
        assert other.variants.count() == 2
    with tenant_context(shop_a):
        assert Product.objects.count() == 1
        assert CatalogChange.objects.count() == 1


def test_text_longer_than_its_column_is_refused_by_name(in_shop_a):
    with pytest.raises(ValidationError) as refused:
        tee(title="T" * 300, tags=["ok", "x" * 70])
    assert refused.value.message_dict == {
        "title": ["Title is 300 characters long; the limit is 255."],
        "tags": ["The tag “xxxxxxxxxxxxxxxxxxxx…” is over 64 characters."],
    }
    assert not Product.objects.exists()


def test_bad_gtin_and_zero_decimal_currency(in_shop_a):
    with pytest.raises(ValidationError) as error:
        product_create(
            title="Mug", gtin="4006381333932", variants=[VariantInput(sku="M", price="1")]
        )
    assert error.value.message_dict["gtin"] == [
        "The GTIN's check digit is wrong; check for a typo."
    ]
    product_create(title="Mug", gtin="4006381333931", variants=[VariantInput(sku="M", price="1")])

    connection.tenant.currency = "JPY"
    try:
        with pytest.raises(ValidationError) as error:
            product_create(title="Yen", variants=[VariantInput(sku="Y", price="100.50")])
        assert error.value.message_dict["variants[0].price"] == [
            "JPY amounts have at most 0 decimal places."
        ]
    finally:
        connection.tenant.currency = "EUR"


def test_update_records_only_the_aspects_that_changed(in_shop_a):
    product = tee()
    CatalogChange.objects.all().delete()

    product_update(product=product, title="Linen Tee", seo_title="Best tee")  # title unchanged
    product_update(product=product, title="Linen T-shirt")
    variant_update(variant=product.variants.get(sku="TEE-S"), price="17.50")
    stock_set(variant=product.variants.get(sku="TEE-S"), stock=3)  # unchanged: no row
    stock_set(variant=product.variants.get(sku="TEE-S"), stock=7)

    assert changes() == [
        ("upsert", ["title"]),
        ("upsert", ["price"]),
        ("upsert", ["availability", "stock"]),
    ]


def test_stock_adjust_never_goes_below_zero(in_shop_a):
    variant = tee().variants.get(sku="TEE-S")

    stock_adjust(variant=variant, delta=-2)
    assert variant.stock == 1
    with pytest.raises(ValidationError, match="stock cannot go below 0"):
        stock_adjust(variant=variant, delta=-2)
    assert Variant.objects.get(sku="TEE-S").stock == 1


def test_bulk_status_writes_one_row_per_changed_product(in_shop_a):
    products = [
        tee(title=f"Tee {n}", variants=[VariantInput(sku=f"T{n}", price="5")]) for n in range(3)
    ]
    products_set_status(product_ids=[products[0].id], status="active")
    CatalogChange.objects.all().delete()

    changed = products_set_status(product_ids=[p.id for p in products], status="active")

    assert changed == 2
    assert sorted(CatalogChange.objects.values_list("product_id", flat=True)) == sorted(
        [products[1].id, products[2].id]
    )
    assert set(Product.objects.values_list("status", flat=True)) == {"active"}


def test_delete_records_one_delete_row_and_removes_image_files(
    in_shop_a, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    product = tee()
    product_id = product.id
    for colour in ("red", "blue"):
        buffer = io.BytesIO()
        Image.new("RGB", (500, 500), colour).save(buffer, "PNG")
        product_image_add(product=product, file=SimpleUploadedFile("p.png", buffer.getvalue()))
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 6  # 2 x (original, 320, 500)
    CatalogChange.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        product_delete(product=product)

    assert changes() == [("delete", [])]
    assert CatalogChange.objects.get().product_id == product_id
    assert not Variant.objects.exists() and not ProductImage.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_outbox_batch_merges_rows_per_product(in_shop_a):
    first, second = tee(), tee(title="Other", variants=[VariantInput(sku="O", price="1")])
    CatalogChange.objects.all().delete()

    with outbox_batch():
        outbox_record(product_ids=[first.id], aspects=["title"])
        outbox_record(product_ids=[first.id, second.id], aspects=["price"])
        outbox_record(product_ids=[first.id], aspects=["images"])
        assert CatalogChange.objects.count() == 0

    assert sorted((c.product_id, c.aspects) for c in CatalogChange.objects.all()) == sorted(
        [(first.id, ["images", "price", "title"]), (second.id, ["price"])]
    )
