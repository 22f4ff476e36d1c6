"""Channel readiness: the rule tables per channel, and no queries per product."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from PIL import Image

from catalog.images import product_image_add
from catalog.models import Product
from catalog.readiness import CHANNEL_RULES, CHANNELS, product_readiness
from catalog.services import VariantInput, product_create


@pytest.fixture
def in_shop_a(shop_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with tenant_context(shop_a):
        yield shop_a


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), "plum").save(buffer, "PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue())


def complete(**overrides) -> Product:
    fields = {
        "title": "Linen Tee",
        "description": "<p>Soft linen.</p>",
        "brand": "Etalage",
        "gtin": "4006381333931",
        "status": "active",
        "variants": [VariantInput(sku="TEE", price="19.90", stock=3)],
    }
    product = product_create(**{**fields, **overrides})
    product_image_add(product=product, file=png())
    return product


def fresh(product: Product) -> Product:
    return Product.objects.prefetch_related("variants", "images").get(pk=product.pk)


def test_a_complete_product_is_ready_everywhere(in_shop_a):
    assert product_readiness(fresh(complete())) == {channel: [] for channel in CHANNELS}


def test_each_channel_explains_what_is_missing(in_shop_a):
    product = product_create(
        title="T" * 210,
        description="",
        variants=[VariantInput(sku="FREE", price="0")],
    )

    readiness = product_readiness(fresh(product))

    common = [
        "Not published: set the status to Active.",
        "A variant has a price of 0.",
        "Has no image (or its images are still processing).",
    ]
    assert readiness["meta"] == [
        *common,
        "Title is empty or over 200 characters.",
        "Description is empty.",
        "Missing brand and GTIN: add a brand (or a GTIN or MPN).",
    ]
    assert readiness["pinterest"] == [*common, "Description is empty."]
    assert readiness["tiktok"] == [*common, "Description is empty."]
    assert readiness["google"] == [
        *common,
        "Title is empty or over 150 characters.",
        "Description is empty.",
        "Missing brand.",
        "Missing GTIN and MPN: add each variant's barcode (GTIN) or the maker's part "
        "number, or tick “custom goods” if no maker assigned one (handmade products).",
    ]


@pytest.mark.parametrize(
    ("overrides", "channel", "message"),
    [
        ({"title": "T" * 160}, "google", "Title is empty or over 150 characters."),
        (
            {"description": "<p>" + "d" * 5001 + "</p>"},
            "google",
            "Description is over 5,000 characters.",
        ),
        (
            {"description": "<p>" + "d" * 10_001 + "</p>"},
            "pinterest",
            "Description is over 10,000 characters.",
        ),
        ({"gtin": "", "mpn": "AB-1"}, "google", None),  # an MPN with a brand is enough
        ({"gtin": "", "brand": "", "mpn": "AB-1"}, "meta", None),  # Meta takes an MPN
        (
            {"gtin": ""},
            "google",
            "Missing GTIN and MPN: add each variant's barcode (GTIN) or the maker's part "
            "number, or tick “custom goods” if no maker assigned one (handmade products).",
        ),
        (
            {"variants": [VariantInput(sku="BIG", price="5", stock=1_000_000)]},
            "tiktok",
            "A variant's stock is over 999,999.",
        ),
        (
            {
                "variants": [
                    VariantInput(sku=f"V{n}", price="5", options=[str(n)]) for n in range(101)
                ],
                "option1_name": "N",
            },
            "tiktok",
            "Has more than 100 variants.",
        ),
    ],
)
def test_channel_limits(in_shop_a, overrides, channel, message):
    readiness = product_readiness(fresh(complete(**overrides)))
    assert readiness[channel] == ([message] if message else [])


def test_the_description_limit_counts_text_not_markup_except_on_tiktok(in_shop_a):
    # 4,990 characters of text in 5,000+ characters of HTML: fine for Google, not too long
    html = "<p><strong>" + "x" * 4990 + "</strong></p>"
    readiness = product_readiness(fresh(complete(description=html)))
    assert readiness["google"] == []


def test_images_still_processing_do_not_count(in_shop_a):
    product = complete()
    product.images.update(status="pending")
    assert (
        "Has no image (or its images are still processing)."
        in product_readiness(fresh(product))["meta"]
    )


def test_readiness_of_prefetched_products_costs_no_query(in_shop_a, django_assert_num_queries):
    for n in range(3):
        complete(title=f"Tee {n}", variants=[VariantInput(sku=f"T{n}", price="5")])
    products = list(Product.objects.prefetch_related("variants", "images"))
    with django_assert_num_queries(0):
        for product in products:
            product_readiness(product)


def test_every_channel_has_a_rule_table():
    assert set(CHANNEL_RULES) == set(CHANNELS)
    for rules in CHANNEL_RULES.values():
        codes = [rule.code for rule in rules]
        assert len(codes) == len(set(codes))
