"""What search engines and social platforms read on a product page: the head's title and
description, Open Graph and Twitter tags, and schema.org Product / Offer JSON-LD (with
AggregateRating and the most helpful Reviews when there are approved reviews).

Built in Python from a product read with ``catalog.selectors.product_for_page`` (no
further queries). The JSON-LD is serialised here, escaped so that no text of the
merchant's can close the ``<script>`` element it sits in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.utils.text import Truncator

from catalog.images import image_url
from catalog.models import Product, Variant, variant_identifiers
from catalog.selectors import product_images, product_is_available
from catalog.services import plain_text
from reviews.models import Review
from reviews.selectors import Rating
from shops.currencies import amount_string

META_DESCRIPTION_LENGTH = 160
SHARE_IMAGE_WIDTH = 1080  # Open Graph and Twitter want a large picture (≥ 600 wide)
SCHEMA_AVAILABILITY = {True: "https://schema.org/InStock", False: "https://schema.org/OutOfStock"}
SCHEMA_CONDITION = {
    Product.Condition.NEW: "https://schema.org/NewCondition",
    Product.Condition.REFURBISHED: "https://schema.org/RefurbishedCondition",
    Product.Condition.USED: "https://schema.org/UsedCondition",
}
# Characters that could end the <script> element or open a comment in it, as JSON escapes.
_SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


@dataclass(frozen=True)
class ProductMeta:
    title: str
    description: str
    canonical_url: str
    image_url: str  # absolute; empty when the product has no ready image
    image_alt: str
    price: str  # the shown variant's price as an amount string ("19.00"), or ""
    currency: str
    is_available: bool
    json_ld: str  # serialised, safe inside <script type="application/ld+json">


def json_for_script(data: object) -> str:
    """JSON that is safe between <script> and </script>."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)


def variant_url(page_url: str, variant: Variant) -> str:
    return f"{page_url}?{urlencode({'variant': variant.id})}"


def _gtin_property(gtin: str) -> str | None:
    return f"gtin{len(gtin)}" if len(gtin) in (8, 12, 13, 14) and gtin.isdigit() else None


def product_json_ld(
    *,
    product: Product,
    currency: str,
    page_url: str,
    image_urls: list[str],
    rating: Rating | None = None,
    reviews: list[Review] | None = None,
) -> dict:
    """schema.org Product with one Offer per variant (an AggregateOffer around them when
    there are several), as Google's product snippets and the social platforms read it."""
    variants = list(product.variants.all())
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "url": page_url,
    }
    description = plain_text(product.description)
    if description:
        data["description"] = description
    if image_urls:
        data["image"] = image_urls
    if len(variants) == 1:
        data["sku"] = variants[0].sku
    if product.brand:
        data["brand"] = {"@type": "Brand", "name": product.brand}
    # a product with one variant is identified by it (its barcode, else the product's);
    # with several, each offer carries its variant's own barcode
    gtin, mpn = (
        variant_identifiers(product, variants[0], 1)
        if len(variants) == 1
        else (product.gtin, product.mpn)
    )
    gtin_property = _gtin_property(gtin)
    if gtin_property:
        data[gtin_property] = gtin
    if mpn:
        data["mpn"] = mpn
    condition = SCHEMA_CONDITION.get(product.condition, SCHEMA_CONDITION[Product.Condition.NEW])
    offers = [
        {
            "@type": "Offer",
            "url": variant_url(page_url, variant),
            "sku": variant.sku,
            "price": amount_string(variant.price, currency),
            "priceCurrency": currency,
            "availability": SCHEMA_AVAILABILITY[variant.available > 0],
            "itemCondition": condition,
        }
        for variant in variants
    ]
    if len(offers) > 1:
        for offer, variant in zip(offers, variants, strict=True):
            if property_name := _gtin_property(variant.gtin):
                offer[property_name] = variant.gtin
    if len(offers) == 1:
        data["offers"] = offers[0]
    elif offers:
        prices = [variant.price for variant in variants]
        data["offers"] = {
            "@type": "AggregateOffer",
            "lowPrice": amount_string(min(prices), currency),
            "highPrice": amount_string(max(prices), currency),
            "offerCount": len(offers),
            "priceCurrency": currency,
            "availability": SCHEMA_AVAILABILITY[product_is_available(product)],
            "offers": offers,
        }
    if rating is not None and rating.count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": round(rating.average, 2),
            "reviewCount": rating.count,
            "bestRating": 5,
            "worstRating": 1,
        }
        if reviews:
            data["review"] = [_review_json_ld(review) for review in reviews]
    return data


def _review_json_ld(review: Review) -> dict:
    """A schema.org Review (plain text; the email is never included)."""
    data = {
        "@type": "Review",
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": review.rating,
            "bestRating": 5,
            "worstRating": 1,
        },
        "author": {"@type": "Person", "name": review.display_name},
        "datePublished": review.created.date().isoformat(),
        "reviewBody": review.body,
    }
    if review.title:
        data["name"] = review.title
    return data


def product_meta(
    *,
    product: Product,
    variant: Variant | None,
    currency: str,
    page_url: str,
    absolute_url: Callable[[str], str],
    rating: Rating | None = None,
    reviews: list[Review] | None = None,
) -> ProductMeta:
    """Head data for the product page; ``page_url`` is the absolute canonical address and
    ``absolute_url`` turns a media URL into an absolute one (``request.build_absolute_uri``)."""
    images = product_images(product)
    share_images = [absolute_url(image_url(image, SHARE_IMAGE_WIDTH)) for image in images]
    description = product.seo_description or plain_text(product.description)
    is_available = variant.available > 0 if variant is not None else False
    return ProductMeta(
        title=product.seo_title or product.title,
        description=Truncator(description).chars(META_DESCRIPTION_LENGTH),
        canonical_url=page_url,
        image_url=share_images[0] if share_images else "",
        image_alt=(images[0].alt_text or product.title) if images else "",
        price=amount_string(variant.price, currency) if variant is not None else "",
        currency=currency,
        is_available=is_available,
        json_ld=json_for_script(
            product_json_ld(
                product=product,
                currency=currency,
                page_url=page_url,
                image_urls=share_images,
                rating=rating,
                reviews=reviews,
            )
        ),
    )
