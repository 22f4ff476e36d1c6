"""Template filters for the design's stored pictures."""

from __future__ import annotations

from django import template

from shops.media import stored_image_srcset, stored_image_url

register = template.Library()


@register.filter
def stored_src(image: dict | None, width: int = 640) -> str:
    """``{{ branding.logo|stored_src:320 }}``: the smallest rendition at least that wide."""
    return stored_image_url(image, int(width))


@register.filter
def stored_srcset(image: dict | None) -> str:
    return stored_image_srcset(image)


@register.filter
def rating_of(ratings: dict, product_id: int) -> object | None:
    """``{{ section.ratings|rating_of:card.product.pk }}``: that product's rating, if any."""
    return ratings.get(product_id)
