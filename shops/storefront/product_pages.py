"""Shopper pages of the catalog, read through catalog.selectors and product_seo."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from catalog.models import Product
from catalog.selectors import (
    product_for_page,
    product_images,
    product_is_available,
    product_price_range,
    variant_availability,
    variant_is_discounted,
    variant_picker,
)
from orders.payment_accounts import shop_can_sell
from reviews.selectors import SORT_LABELS, product_rating, product_reviews_page
from shops.storefront.product_seo import product_meta
from shops.storefront.review_forms import ReviewForm
from shops.storefront.selectors import shop_theme


def product_page(request: HttpRequest, slug: str) -> HttpResponse:
    """An active product; ``?variant=<id>`` (ignored if unknown) or the option menus'
    ``?option1=…&option2=…`` pick the variant shown."""
    try:
        context = product_page_context(request, slug)
    except Product.DoesNotExist:
        raise Http404("No such product in this shop") from None
    context.update(shop_theme())  # the shop's colours, font, favicon, announcement
    return render(request, "catalog/product_page.html", context)


def product_page_context(request: HttpRequest, slug: str) -> dict:
    """The product page's template context (also used by the embedded product page,
    which renders the same template on another base). Raises ``Product.DoesNotExist``."""
    product = product_for_page(slug=slug)
    currency = request.shop.currency
    picker = variant_picker(
        product=product,
        variant_id=request.GET.get("variant"),
        options=[request.GET.get(f"option{number}", "") for number in (1, 2, 3)],
        currency=currency,
    )
    variant = picker.variant
    images = product_images(product)
    if variant is not None and variant.image_id:  # the chosen variant's picture first
        images = sorted(images, key=lambda image: image.id != variant.image_id)
    page_url = request.build_absolute_uri(reverse("product-page", kwargs={"slug": product.slug}))
    rating = product_rating(product_id=product.pk)
    reviews = product_reviews_page(
        product_id=product.pk,
        sort=request.GET.get("sort", "helpful"),
        stars=_int_or_none(request.GET.get("stars")),
        with_photos=request.GET.get("photos") == "1",
        page_number=_int_or_none(request.GET.get("reviews_page")) or 1,
    )
    return {
        "product": product,
        "variants": list(product.variants.all()),
        "variant": variant,
        "picker": picker,
        "availability": variant_availability(variant) if variant is not None else "",
        "images": images,
        "currency": currency,
        "price_range": product_price_range(product),
        "is_discounted": variant is not None and variant_is_discounted(variant),
        "product_is_available": product_is_available(product),
        "can_sell": shop_can_sell(),  # else no Buy now: "not taking orders yet"
        "rating": rating,
        "reviews": reviews,
        "review_sorts": SORT_LABELS,
        "review_form": ReviewForm(),
        "review_thanks": request.GET.get("review") == "thanks",
        "meta": product_meta(
            product=product,
            variant=variant,
            currency=currency,
            page_url=page_url,
            absolute_url=request.build_absolute_uri,
            rating=rating,
            reviews=reviews.reviews[:5],
        ),
    }


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
