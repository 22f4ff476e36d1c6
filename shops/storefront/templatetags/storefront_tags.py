"""Template filters for the design's stored pictures."""

from __future__ import annotations

from django import template

from shops.storefront.images import stored_image_srcset, stored_image_url

register = template.Library()


@register.filter
def stored_src(image: dict | None, width: int = 640) -> str:
    """``{{ branding.logo|stored_src:320 }}``: the smallest rendition at least that wide."""
    return stored_image_url(image, int(width))


@register.filter
def stored_srcset(image: dict | None) -> str:
    return stored_image_srcset(image)
