"""The merchant's catalog admin, through real HTTP form posts on the shop host."""

import io
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from PIL import Image

from catalog.collections import collection_products
from catalog.images import product_image_add
from catalog.models import (
    CatalogChange,
    Collection,
    CollectionProduct,
    Product,
    ProductImage,
    Variant,
)
from catalog.services import VariantInput, product_create, stock_hold
from shops.page_cache import shop_page_version
from tests.conftest import owner_client


def management(prefix: str, total: int, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def product_post(**overrides) -> dict:
    data = {
        "title": "Canvas Tote",
        "slug": "canvas-tote",
        "status": "active",
        "description": "<p>Roomy</p><img src=x onerror=alert(1)>",
        "brand": "Etalage",
        "product_type": "Bag",
        "tags": "canvas,bags",
        "condition": "new",
        "option1_name": "Colour",
        **management("variants", 2),
        "variants-0-sku": "TOTE-NAT",
        "variants-0-option1": "Natural",
        "variants-0-price": "24.00",
        "variants-0-stock": "5",
        "variants-0-position": "0",
        "variants-1-sku": "TOTE-BLK",
        "variants-1-option1": "Black",
        "variants-1-price": "26.00",
        "variants-1-stock": "0",
        "variants-1-position": "1",
        **management("images", 0),
    }
    data.update(overrides)
    return data


def test_add_product_with_variants_writes_one_outbox_row(shop_a):
    response = owner_client().post("/admin/catalog/product/add/", product_post())

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    with tenant_context(shop_a):
        product = Product.objects.get(slug="canvas-tote")
        assert product.description == "<p>Roomy</p>"
        assert product.tags == ["canvas", "bags"]
        assert list(product.variants.values_list("sku", "price", "stock")) == [
            ("TOTE-NAT", Decimal("24.00"), 5),
            ("TOTE-BLK", Decimal("26.00"), 0),
        ]
        assert CatalogChange.objects.filter(product_id=product.id).count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("variants-0-price", "-3", "The price cannot be negative."),
        ("variants-0-price", "3.999", "Ensure that there are no more than 2 decimal places."),
        ("variants-0-price", "abc", "Enter a number."),
        ("variants-0-stock", "-1", "Stock cannot be negative."),
        ("gtin", "123", "A GTIN has 8, 12, 13 or 14 digits."),
    ],
)
def test_bad_input_in_the_admin_is_explained_and_nothing_saved(shop_a, field, value, message):
    response = owner_client().post("/admin/catalog/product/add/", product_post(**{field: value}))

    assert response.status_code == 200
    assert message in response.content.decode()
    with tenant_context(shop_a):
        assert not Product.objects.exists()
        assert not CatalogChange.objects.exists()


def test_duplicate_sku_in_the_admin(shop_a):
    with tenant_context(shop_a):
        product_create(title="Old", variants=[VariantInput(sku="TOTE-NAT", price="1")])
    response = owner_client().post("/admin/catalog/product/add/", product_post())
    assert response.status_code == 200
    assert "Variant with this SKU already exists." in response.content.decode()


def test_editing_title_and_a_price_writes_one_row_naming_both(shop_a):
    client = owner_client()
    client.post("/admin/catalog/product/add/", product_post())
    with tenant_context(shop_a):
        product = Product.objects.get()
        variants = list(product.variants.order_by("position"))
        CatalogChange.objects.all().delete()
    data = product_post(title="Canvas Tote Bag", **{"variants-0-price": "22.00"})
    data.update(management("variants", 2, initial=2))
    data.update(
        {
            "variants-0-id": variants[0].id,
            "variants-1-id": variants[1].id,
            "variants-0-product": product.id,
            "variants-1-product": product.id,
        }
    )

    response = client.post(f"/admin/catalog/product/{product.id}/change/", data)

    assert response.status_code == 302
    with tenant_context(shop_a):
        assert list(CatalogChange.objects.values_list("aspects", flat=True)) == [["price", "title"]]


def test_bulk_archive_action(shop_a):
    with tenant_context(shop_a):
        ids = [
            product_create(
                title=f"P{n}", status="active", variants=[VariantInput(sku=f"P{n}", price="1")]
            ).id
            for n in range(3)
        ]
        CatalogChange.objects.all().delete()
    response = owner_client().post(
        "/admin/catalog/product/", {"action": "archive", "_selected_action": ids[:2]}
    )
    assert response.status_code == 302
    with tenant_context(shop_a):
        assert dict(Product.objects.values_list("id", "status")) == {
            ids[0]: "archived",
            ids[1]: "archived",
            ids[2]: "active",
        }
        assert CatalogChange.objects.count() == 2


def test_stock_list_edits_go_through_the_outbox(shop_a):
    with tenant_context(shop_a):
        product = product_create(title="Mug", variants=[VariantInput(sku="MUG", price="9")])
        variant = product.variants.get()
        CatalogChange.objects.all().delete()
    response = owner_client().post(
        "/admin/catalog/variant/",
        {
            **management("form", 1, initial=1),
            "form-0-id": variant.id,
            "form-0-stock": "12",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    with tenant_context(shop_a):
        assert Variant.objects.get().stock == 12
        assert list(CatalogChange.objects.values_list("aspects", flat=True)) == [
            ["availability", "stock"]
        ]


def test_product_list_query_count_does_not_grow_with_variants_and_images(
    shop_a, django_assert_max_num_queries, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = owner_client()
    with tenant_context(shop_a):
        for n in range(3):
            product_create(title=f"Small {n}", variants=[VariantInput(sku=f"S{n}", price="1")])
    with django_assert_max_num_queries(12) as small:
        assert client.get("/admin/catalog/product/").status_code == 200
    with tenant_context(shop_a):
        for n in range(10):
            big = product_create(
                title=f"Big {n}",
                option1_name="Size",
                variants=[
                    VariantInput(sku=f"B{n}-{v}", price=str(v + 1), options=[str(v)])
                    for v in range(8)
                ],
            )
            for _ in range(3):
                product_image_add(product=big, file=png_upload())
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/admin/catalog/product/").status_code == 200


def test_image_uploaded_in_the_admin_goes_through_the_pipeline(shop_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    picture = Image.new("RGB", (800, 600), "teal")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif)
    buffer.name = "holiday.jpg"
    buffer.seek(0)
    data = product_post()
    data.update(management("images", 1))
    data.update(
        {
            "images-0-upload": buffer,
            "images-0-alt_text": "Tote on a chair",
            "images-0-position": "0",
        }
    )

    response = owner_client().post("/admin/catalog/product/add/", data)

    assert response.status_code == 302
    with tenant_context(shop_a):
        image = ProductImage.objects.get()
        assert image.alt_text == "Tote on a chair"
        with Image.open(image.image.path) as stored:
            assert dict(stored.getexif()) == {}
        assert CatalogChange.objects.count() == 1


def test_a_shops_products_are_not_reachable_from_another_shops_admin(shop_a):
    with tenant_context(shop_a):
        product = product_create(title="Secret", variants=[VariantInput(sku="SEC", price="1")])
    response = owner_client("beta").get(f"/admin/catalog/product/{product.id}/change/")
    assert response.status_code == 302  # "doesn't exist" redirect to the admin index
    assert "Secret" not in owner_client("beta").get("/admin/catalog/product/").content.decode()


def png_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "plum").save(buffer, "PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue())


def truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((300, 200), 64).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()[: buffer.tell() // 2]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"GIF89a but not really", "This file is not an image we can read"),
        (truncated_jpeg(), "The image file is damaged or incomplete"),
    ],
)
def test_a_bad_image_upload_is_a_form_error_and_nothing_is_saved(
    shop_a, settings, tmp_path, content, message
):
    settings.MEDIA_ROOT = tmp_path
    data = product_post()
    data.update(management("images", 1))
    data.update(
        {"images-0-upload": io.BytesIO(content), "images-0-alt_text": "x", "images-0-position": "0"}
    )
    data["images-0-upload"].name = "fake.jpg"

    response = owner_client().post("/admin/catalog/product/add/", data)

    assert response.status_code == 200
    assert message in response.content.decode()
    with tenant_context(shop_a):
        assert not Product.objects.exists()
        assert not CatalogChange.objects.exists()
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_the_admin_shows_on_hand_held_and_available_and_a_save_keeps_the_holds(shop_a):
    # given 5 natural totes on hand, 2 of them held by an unpaid order
    client = owner_client()
    client.post("/admin/catalog/product/add/", product_post())
    with tenant_context(shop_a):
        product = Product.objects.get()
        variants = list(product.variants.order_by("position"))
    page = client.get(f"/admin/catalog/product/{product.id}/change/").content.decode()
    with tenant_context(shop_a):
        stock_hold(variant=variants[0], quantity=2)
    listing = client.get("/admin/catalog/variant/").content.decode()

    # when the merchant saves the product form, counting 6 on hand
    data = product_post(**{"variants-0-stock": "6"})
    data.update(management("variants", 2, initial=2))
    data.update(
        {
            "variants-0-id": variants[0].id,
            "variants-1-id": variants[1].id,
            "variants-0-product": product.id,
            "variants-1-product": product.id,
        }
    )
    response = client.post(f"/admin/catalog/product/{product.id}/change/", data)

    # then the pages name all three, and the hold is still there
    assert response.status_code == 302
    assert "Held" in page and "Available" in page
    assert "column-held" in listing and "column-available" in listing
    with tenant_context(shop_a):
        stored = Variant.objects.get(id=variants[0].id)
        assert (stored.stock, stored.held, stored.available) == (6, 2, 4)


def test_a_variant_read_before_a_hold_and_saved_after_keeps_the_hold(shop_a):
    with tenant_context(shop_a):
        # given a variant read (as a form reads it), then 2 units held by a buyer
        product = product_create(
            title="Mug", variants=[VariantInput(sku="MUG", price="9", stock=5)]
        )
        stale = product.variants.get()
        stock_hold(variant=Variant.objects.get(id=stale.id), quantity=2)

        # when the stale row is saved with a new count
        stale.stock = 6
        stale.save()

        # then the hold is kept: only the stock services move held
        stored = Variant.objects.get(id=stale.id)
        assert (stored.stock, stored.held, stored.available) == (6, 2, 4)


def test_deleting_a_variant_and_renaming_a_picture_write_one_row_and_the_history(
    shop_a, settings, tmp_path
):
    # given a tote with two variants and a picture, added in the admin
    settings.MEDIA_ROOT = tmp_path
    client = owner_client()
    data = product_post()
    data.update(management("images", 1))
    data.update(
        {"images-0-upload": png_upload(), "images-0-alt_text": "Tote", "images-0-position": "0"}
    )
    assert client.post("/admin/catalog/product/add/", data).status_code == 302
    with tenant_context(shop_a):
        product = Product.objects.get()
        variants = list(product.variants.order_by("position"))
        image = product.images.get()
        CatalogChange.objects.all().delete()

    # when the owner deletes the black tote and renames the picture
    data = product_post(**{"variants-1-DELETE": "on"})
    data.update(management("variants", 2, initial=2))
    data.update(
        {
            "variants-0-id": variants[0].id,
            "variants-1-id": variants[1].id,
            "variants-0-product": product.id,
            "variants-1-product": product.id,
        }
    )
    data.update(management("images", 1, initial=1))
    data.update(
        {
            "images-0-id": image.id,
            "images-0-product": product.id,
            "images-0-alt_text": "Tote on a chair",
            "images-0-position": "0",
        }
    )
    response = client.post(f"/admin/catalog/product/{product.id}/change/", data)

    # then both are written, with one outbox row, and the history says what changed
    assert response.status_code == 302
    with tenant_context(shop_a):
        assert list(product.variants.values_list("sku", flat=True)) == ["TOTE-NAT"]
        assert ProductImage.objects.get().alt_text == "Tote on a chair"
        assert list(CatalogChange.objects.values_list("aspects", flat=True)) == [
            ["availability", "details", "images", "price", "stock"]
        ]
        history = LogEntry.objects.filter(object_id=str(product.id)).latest("id")
        message = history.get_change_message()
        assert "Deleted variant “TOTE-BLK (Black)”." in message
        assert "Changed Alt text for product image “Tote on a chair”." in message


def test_the_variant_page_keeps_a_variant_on_its_product(shop_a):
    with tenant_context(shop_a):
        mug = product_create(title="Mug", variants=[VariantInput(sku="MUG", price="9")])
        other = product_create(title="Bowl", variants=[VariantInput(sku="BOWL", price="9")])
        variant = mug.variants.get()

    response = owner_client().post(
        f"/admin/catalog/variant/{variant.id}/change/",
        {
            "product": other.id,
            "sku": "MUG",
            "option1": "",
            "option2": "",
            "option3": "",
            "price": "10.00",
            "compare_at_price": "",
            "stock": "3",
            "weight_grams": "",
            "position": "0",
        },
    )

    assert response.status_code == 302
    with tenant_context(shop_a):
        stored = Variant.objects.get(id=variant.id)
        assert (stored.product_id, stored.price, stored.stock) == (mug.id, Decimal("10.00"), 3)


def test_a_collection_saved_in_the_admin_goes_through_the_collection_services(
    shop_a, django_capture_on_commit_callbacks
):
    """Add, then rename and reorder: the services retire the cached shop page and keep
    the hand-picked order; the history says what changed."""
    with tenant_context(shop_a):
        mug = product_create(
            title="Mug", status="active", variants=[VariantInput(sku="MUG", price="9.00")]
        )
        cup = product_create(
            title="Cup", status="active", variants=[VariantInput(sku="CUP", price="7.00")]
        )
    post = {
        "title": "Kitchen",
        "slug": "kitchen",
        "description": "",
        "kind": "manual",
        "is_published": "on",
        **management("collectionproduct_set", 2),
        "collectionproduct_set-0-product": str(mug.pk),
        "collectionproduct_set-0-position": "1",
        "collectionproduct_set-1-product": str(cup.pk),
        "collectionproduct_set-1-position": "0",
    }
    client = owner_client()
    with tenant_context(shop_a):
        version = shop_page_version()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/catalog/collection/add/", post)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    with tenant_context(shop_a):
        kitchen = Collection.objects.get(slug="kitchen")
        assert [p.title for p in collection_products(kitchen)] == ["Cup", "Mug"]
        assert shop_page_version() > version
        version = shop_page_version()

    with tenant_context(shop_a):
        rows = list(CollectionProduct.objects.filter(collection=kitchen).order_by("pk"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/catalog/collection/{kitchen.pk}/change/",
            {
                **post,
                "title": "Kitchen things",
                **management("collectionproduct_set", 2, initial=2),
                "collectionproduct_set-0-id": str(rows[0].pk),
                "collectionproduct_set-0-collection": str(kitchen.pk),
                "collectionproduct_set-0-product": str(mug.pk),
                "collectionproduct_set-0-position": "0",
                "collectionproduct_set-1-id": str(rows[1].pk),
                "collectionproduct_set-1-collection": str(kitchen.pk),
                "collectionproduct_set-1-product": str(cup.pk),
                "collectionproduct_set-1-position": "1",
                "collectionproduct_set-1-DELETE": "on",
            },
        )

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    with tenant_context(shop_a):
        kitchen.refresh_from_db()
        assert kitchen.title == "Kitchen things"
        assert [p.title for p in collection_products(kitchen)] == ["Mug"]
        assert shop_page_version() > version
        assert LogEntry.objects.filter(object_id=str(kitchen.pk)).count() == 2
