"""A variant as the channels see it: one ``FeedItem`` per variant, built from a product
with prefetched variants and images. Feeds and push clients both start from it, so a
field means the same thing in the feed and in the API call.

Ids: ``retailer_id`` is "<product id>-<variant id>" (stable when a SKU is renamed, at
most 41 characters, under Google's 50); ``item_group_id`` is the product id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any
from urllib.parse import urljoin

from django.core.files.storage import FileSystemStorage, storages
from django.urls import reverse
from django.utils.encoding import filepath_to_uri

from catalog.currencies import amount_string
from catalog.models import Product, ProductImage, Variant
from catalog.readiness import Facts, channel_problems

MAX_ADDITIONAL_IMAGES = 10
ProductLike = Product | Any  # a Product, or a shops.channels.selectors.ProductRow
ProductImageLike = ProductImage | Any


def retailer_id(product_id: int, variant_id: int) -> str:
    return f"{product_id}-{variant_id}"


@dataclass(frozen=True)
class FeedItem:
    id: str
    item_group_id: str
    product_id: int
    variant_id: int
    title: str
    description: str
    description_html: str
    is_in_stock: bool
    stock: int
    condition: str
    price: Decimal  # the regular price (compare-at when the variant is on sale)
    sale_price: Decimal | None
    currency: str
    link: str
    image_link: str
    additional_image_links: tuple[str, ...]
    brand: str
    gtin: str
    mpn: str
    google_product_category: str
    options: tuple[str, ...]

    def price_text(self, amount: Decimal) -> str:
        """ "9.99 EUR": '.' decimal separator, a space, the ISO 4217 code."""
        return f"{amount_string(amount, self.currency)} {self.currency}"

    def price_micros(self, amount: Decimal) -> int:
        return int(amount * 1_000_000)


@dataclass(frozen=True)
class ShopContext:
    base_url: str  # "https://alpha.example.com", no trailing slash
    currency: str
    file_url: Callable[[str], str] = field(default_factory=lambda: file_url_function())


def file_url_function() -> Callable[[str], str]:
    """``default_storage.url`` for the current shop; for a filesystem storage (whose
    ``url()`` is its base URL plus the quoted name) the base is read once, not per file."""
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        base = storage.base_url
        return lambda name: base + filepath_to_uri(name).lstrip("/")
    return storage.url


def _absolute(base_url: str, url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return base_url + url if url.startswith("/") else urljoin(base_url + "/", url)


def _image_url(image: ProductImageLike, file_url: Callable[[str], str]) -> str:
    """The cleaned full-size file (what the platforms want), like image_original_url."""
    if image.status != ProductImage.Status.READY or not image.image:
        return ""
    return file_url(getattr(image.image, "name", image.image))


@cache
def _page_prefix() -> str:
    return reverse("product-page", kwargs={"slug": "slug"})[: -len("slug/")]


def product_items(product: ProductLike, context: ShopContext, facts: Facts) -> Iterator[FeedItem]:
    """One FeedItem per variant of ``product`` (a ProductRow, or a Product with its
    variants and images prefetched)."""
    images = [
        _absolute(context.base_url, _image_url(image, context.file_url))
        for image in product.images.all()
    ]
    images = [url for url in images if url]
    page = f"{context.base_url}{_page_prefix()}{product.slug}/"
    variants: list[Variant] = list(product.variants.all())
    for variant in variants:
        on_sale = variant.compare_at_price is not None and variant.compare_at_price > variant.price
        yield FeedItem(
            id=retailer_id(product.pk, variant.pk),
            item_group_id=str(product.pk),
            product_id=product.pk,
            variant_id=variant.pk,
            title=facts.title,
            description=facts.description_text,
            description_html=facts.description_html,
            is_in_stock=variant.stock > 0,
            stock=variant.stock,
            condition=product.condition,
            price=variant.compare_at_price if on_sale else variant.price,
            sale_price=variant.price if on_sale else None,
            currency=context.currency,
            link=f"{page}?variant={variant.pk}" if len(variants) > 1 else page,
            image_link=images[0] if images else "",
            additional_image_links=tuple(images[1 : 1 + MAX_ADDITIONAL_IMAGES]),
            brand=product.brand,
            gtin=product.gtin,
            mpn=product.mpn,
            google_product_category=product.google_product_category,
            options=tuple(variant.options),
        )


def ready_items(
    product: ProductLike, channel: str, context: ShopContext
) -> tuple[list[FeedItem], list[str]]:
    """(items, []) when the product passes the channel's readiness rules, else
    ([], reasons)."""
    facts = Facts.of(product)
    problems = channel_problems(product, channel, facts)
    if problems:
        return [], [rule.message for rule in problems]
    return list(product_items(product, context, facts)), []
