"""Product export in Shopify's product CSV format, streamed: importing the file (here or in
another shop) gives the same catalog back."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from catalog import shopify_csv as col
from catalog.images import image_original_url
from catalog.models import Product, ProductImage, Variant, variant_identifiers
from shops.audit.services import audit_record
from shops.spreadsheets import row_neutralised

CHUNK_PRODUCTS = 500


def products_export_rows(*, base_url: str = "") -> Iterator[list[str]]:
    """The header, then each product's rows in id order (a chunk of products in memory at
    a time). ``base_url`` (scheme and host) makes image addresses absolute."""
    yield list(col.EXPORT_COLUMNS)
    products = Product.objects.order_by("id").prefetch_related("variants", "images")
    for product in products.iterator(chunk_size=CHUNK_PRODUCTS):
        yield from product_rows(product, base_url=base_url)


def product_rows(product: Product, *, base_url: str = "") -> Iterator[list[str]]:
    """A product as Shopify lays it out: product fields on the first row, then one row per
    variant and per image, side by side."""
    variants: list[Variant] = list(product.variants.all())
    images: list[ProductImage] = list(product.images.all())
    for index in range(max(len(variants), len(images), 1)):
        row = dict.fromkeys(col.EXPORT_COLUMNS, "")
        row[col.HANDLE] = product.slug
        if index == 0:
            row.update(_product_values(product))
        if index < len(variants):
            row.update(_variant_values(product, variants[index]))
        if index < len(images):
            row.update(_image_values(images[index], base_url))
        yield [row[name] for name in col.EXPORT_COLUMNS]


def _product_values(product: Product) -> dict[str, str]:
    option_names = [product.option1_name, product.option2_name, product.option3_name]
    if not any(option_names):
        option_names[0] = col.DEFAULT_OPTION_NAME
    return {
        col.TITLE: product.title,
        col.BODY: product.description,
        col.VENDOR: product.brand,
        col.TYPE: product.product_type,
        col.TAGS: ", ".join(product.tags),
        col.PUBLISHED: "TRUE" if product.status == Product.Status.ACTIVE else "FALSE",
        **dict(zip(col.OPTION_NAMES, option_names, strict=True)),
        col.SEO_TITLE: product.seo_title,
        col.SEO_DESCRIPTION: product.seo_description,
        col.GOOGLE_CATEGORY: product.google_product_category,
        col.CONDITION: product.condition,
        col.STATUS: product.status,
    }


def _variant_values(product: Product, variant: Variant) -> dict[str, str]:
    options = [variant.option1, variant.option2, variant.option3]
    if not product.option_names and not any(options):
        options[0] = col.DEFAULT_OPTION_VALUE
    return {
        **dict(zip(col.OPTION_VALUES, options, strict=True)),
        col.SKU: variant.sku,
        # Shopify's barcode is per variant, like ours; a variant without its own MPN
        # carries the product's (the import reads the first row's as the product's)
        **dict(
            zip(
                (col.BARCODE, col.MPN),
                variant_identifiers(product, variant, len(product.variants.all())),
                strict=True,
            )
        ),
        col.GRAMS: "" if variant.weight_grams is None else str(variant.weight_grams),
        col.STOCK: str(variant.stock),
        col.PRICE: str(variant.price),
        col.COMPARE_AT_PRICE: ""
        if variant.compare_at_price is None
        else str(variant.compare_at_price),
    }


def _image_values(image: ProductImage, base_url: str) -> dict[str, str]:
    url = image_original_url(image)
    # an image not downloaded yet (or that failed) is still known by its original address
    src = f"{base_url}{url}" if url.startswith("/") else (url or image.source_url)
    return {
        col.IMAGE_SRC: src,
        col.IMAGE_POSITION: str(image.position + 1),
        col.IMAGE_ALT: image.alt_text,
    }


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def products_export_csv(*, base_url: str = "") -> Iterator[str]:
    """The export as CSV text, line by line (for a StreamingHttpResponse); cells that a
    spreadsheet would run as a formula are quoted (the import takes the quote off).
    Recorded in the audit log now, while the request's actor is known (the lines are
    made as the response streams)."""
    audit_record(action="export.products", object_type="product", object_repr="Products CSV")
    return _csv_lines(base_url)


def _csv_lines(base_url: str) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in products_export_rows(base_url=base_url):
        yield writer.writerow(row_neutralised(row))
