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
from functools import cache, cached_property
from typing import Any, NamedTuple
from urllib.parse import urljoin

from django.db import connection as db_connection
from django.urls import reverse

from catalog.models import Product, ProductImage, Variant, variant_identifiers
from catalog.readiness import Facts, channel_problems
from orders.pricing import cheapest_shipping, shipping_rates_by_country
from shops.channels.attributes import option_attributes, variant_attributes
from shops.currencies import amount_string
from shops.media import file_url_function
from shops.selectors import shop_currency, shop_url

MAX_ADDITIONAL_IMAGES = 10
ProductLike = Product | Any  # a Product, or a shops.channels.selectors.ProductRow
ProductImageLike = ProductImage | Any


def retailer_id(product_id: int, variant_id: int) -> str:
    return f"{product_id}-{variant_id}"


class FeedItem(NamedTuple):
    """Immutable; a named tuple rather than a frozen dataclass because a feed builds
    one per variant (100,000 in a large feed) and a tuple is several times cheaper to
    make."""

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
    option_names: tuple[str, ...] = ()  # the product's option names ("Size", ...)
    weight_grams: int | None = None
    # the variant's attributes from its options (shops.channels.attributes)
    color: str = ""
    size: str = ""
    gender: str = ""
    age_group: str = ""
    material: str = ""
    pattern: str = ""
    size_system: str = ""
    product_type: str = ""  # the product type, else its first published collection
    is_custom_goods: bool = False
    # (country, price) of the cheapest shipping rate for this one variant, per country
    shipping: tuple[tuple[str, Decimal], ...] = ()
    # the product's approved reviews: how many, their average (None without any)
    rating_count: int = 0
    rating_average: float | None = None

    @property
    def identifier_exists(self) -> bool:
        """False only for custom goods without a GTIN or MPN (Google's
        identifier_exists = no); a product that is not custom goods never reaches a
        channel without one (the readiness rules)."""
        return bool(self.gtin or self.mpn) or not self.is_custom_goods

    def price_text(self, amount: Decimal) -> str:
        """ "9.99 EUR": '.' decimal separator, a space, the ISO 4217 code."""
        return f"{amount_string(amount, self.currency)} {self.currency}"

    def price_micros(self, amount: Decimal) -> int:
        return int(amount * 1_000_000)


@dataclass(frozen=True)
class ShopContext:
    """The shop as the channels see it: where its pages and files are, its currency."""

    base_url: str  # "https://alpha.example.com", no trailing slash
    currency: str
    file_url: Callable[[str], str] = field(default_factory=lambda: file_url_function())

    # read on first use (a feed or a sync needs them; the product admin's readiness
    # check does not)
    @cached_property
    def option_attributes(self) -> dict[str, str]:
        return option_attributes()

    @cached_property
    def shipping_rates(self) -> dict[str, list]:
        return shipping_rates_by_country()

    @cached_property
    def _shipping_quotes(self) -> dict[tuple[int, Decimal], tuple[tuple[str, Decimal], ...]]:
        return {}

    def shipping(self, *, weight_grams: int, value: Decimal) -> tuple[tuple[str, Decimal], ...]:
        """(country, price) of the cheapest rate per country the shop ships to, for one
        parcel; worked out once per weight and value (a feed's variants share few)."""
        key = (weight_grams, value)
        quotes = self._shipping_quotes.get(key)
        if quotes is None:
            quotes = tuple(
                (country, price)
                for country, rates in self.shipping_rates.items()
                if (price := cheapest_shipping(rates, weight_grams=weight_grams, value=value))
                is not None
            )
            self._shipping_quotes[key] = quotes
        return quotes


def shop_context(*, base_url: str = "") -> ShopContext:
    """The context of the shop whose schema is active: its address on the platform
    domain (or ``base_url``: a feed's, from the request the platform made)."""
    return ShopContext(
        base_url=base_url or shop_url(db_connection.tenant), currency=shop_currency()
    )


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


def product_links(product: ProductLike, context: ShopContext) -> tuple[str, ...]:
    """The product page's address for each variant, in variant order (the page with
    ``?variant=<id>`` when there are several)."""
    page = f"{context.base_url}{_page_prefix()}{product.slug}/"
    variants = product.variants.all()
    if len(variants) == 1:
        return (page,)
    return tuple(f"{page}?variant={variant.pk}" for variant in variants)


def product_image_links(product: ProductLike, context: ShopContext) -> tuple[str, ...]:
    """The addresses of the product's images as the channels are sent them: the main
    image, then at most ``MAX_ADDITIONAL_IMAGES`` more."""
    images = (
        _absolute(context.base_url, _image_url(image, context.file_url))
        for image in product.images.all()
    )
    return tuple(url for url in images if url)[: 1 + MAX_ADDITIONAL_IMAGES]


def channel_facts(product: ProductLike, context: ShopContext) -> Facts:
    """The readiness facts with the addresses the channels are sent (the variants'
    links and the image links), for the rules on their lengths."""
    return Facts.of(
        product,
        links=product_links(product, context),
        image_links=product_image_links(product, context),
    )


def product_items(product: ProductLike, context: ShopContext, facts: Facts) -> Iterator[FeedItem]:
    """One FeedItem per variant of ``product`` (a ProductRow, or a Product with its
    variants and images prefetched; ``facts`` from ``channel_facts``)."""
    images = facts.image_links
    variants: list[Variant] = list(product.variants.all())
    links = facts.links
    # what every variant shares, read once (a feed makes 100,000 items)
    shared = {
        "item_group_id": str(product.pk),
        "product_id": product.pk,
        "title": facts.title,
        "description": facts.description_text,
        "description_html": facts.description_html,
        "condition": product.condition,
        "currency": context.currency,
        "image_link": images[0] if images else "",
        "additional_image_links": images[1:],
        "brand": product.brand,
        "google_product_category": product.google_product_category,
        "option_names": tuple(
            name
            for name in (product.option1_name, product.option2_name, product.option3_name)
            if name
        ),
        "product_type": product.product_type
        or next(iter(getattr(product, "collection_titles", ())), ""),
        "is_custom_goods": product.is_custom_goods,
        "rating_count": getattr(product, "rating_count", 0),
        "rating_average": getattr(product, "rating_average", None),
    }
    all_names = (product.option1_name, product.option2_name, product.option3_name)
    mapping = context.option_attributes
    ships = product.requires_shipping
    for variant, link in zip(variants, links, strict=True):
        price, compare_at = variant.price, variant.compare_at_price
        on_sale = compare_at is not None and compare_at > price
        gtin, mpn = variant_identifiers(product, variant, len(variants))
        attributes = variant_attributes(
            all_names, (variant.option1, variant.option2, variant.option3), mapping
        )
        yield FeedItem(
            gtin=gtin,
            mpn=mpn,
            shipping=context.shipping(weight_grams=variant.weight_grams or 0, value=price)
            if ships
            else (),
            **attributes,
            id=retailer_id(product.pk, variant.pk),
            variant_id=variant.pk,
            is_in_stock=variant.available > 0,
            stock=variant.available,  # what can be sold: on hand less unpaid orders' holds
            price=compare_at if on_sale else price,
            sale_price=price if on_sale else None,
            link=link,
            options=tuple(variant.options),
            weight_grams=variant.weight_grams,
            **shared,
        )


def ready_items(
    product: ProductLike, channel: str, context: ShopContext
) -> tuple[list[FeedItem], list[str]]:
    """(items, []) when the product passes the channel's readiness rules, else
    ([], reasons)."""
    facts = channel_facts(product, context)
    problems = channel_problems(product, channel, facts)
    if problems:
        return [], [rule.message for rule in problems]
    return list(product_items(product, context, facts)), []
