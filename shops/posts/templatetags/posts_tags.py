"""Template filters of shoppable posts."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template

register = template.Library()


@register.filter
def tag_position(tag: object) -> str:
    """Where a tag sits, as CSS: from the left edge in the picture's left half, from the
    right edge in its right half (its label then opens leftwards and stays inside)."""
    x, y = float(tag.x), float(tag.y)
    side = f"left: {x * 100:.2f}%" if x <= 0.5 else f"right: {(1 - x) * 100:.2f}%"
    return f"{side}; top: {y * 100:.2f}%"


@register.simple_tag
def post_tag_url(tag: object, post: object, embed: bool) -> str:
    """Where a tag of ``post`` leads: its product's page (in the embed, the embed's
    product view), with the post and the tag's variant, if it names one."""
    query = {"post": post.id}
    if tag.variant_id:
        query["variant"] = tag.variant_id
    if embed:
        return "/embed/?" + urlencode({"product": tag.product.slug, **query})
    return f"/products/{tag.product.slug}/?" + urlencode(query)
