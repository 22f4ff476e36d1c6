"""Template filters for shopper pages: prices in the shop's currency, image URLs."""

from __future__ import annotations

from decimal import Decimal

from django import template

from catalog import images
from catalog.models import ProductImage
from shops.currencies import money_format

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """``{{ variant.price|money:currency }}`` → "€19.00"."""
    return "" if amount is None else money_format(amount, currency)


@register.filter
def srcset(image: ProductImage) -> str:
    """``{{ image|srcset }}`` → "/media/…-320.webp 320w, /media/…-640.webp 640w"."""
    return images.image_srcset(image)


@register.filter
def image_src(image: ProductImage, width: int = 640) -> str:
    """``{{ image|image_src:640 }}``: the smallest rendition at least that wide."""
    return images.image_url(image, int(width))
