"""Template helpers for reviews and polls."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template

from reviews.models import ReviewPhoto
from reviews.selectors import ReviewPage, photo_url
from shops.media import rendition_url

register = template.Library()


@register.simple_tag
def review_photo_url(photo: ReviewPhoto, width: int = 320) -> str:
    return photo_url(photo, width)


@register.simple_tag
def rendition_src(renditions: dict | None, width: int = 320) -> str:
    return rendition_url(renditions, width)


@register.simple_tag
def reviews_query(page: ReviewPage, page_number: int) -> str:
    """The query string of another page of the same sorted, filtered reviews."""
    query: dict[str, str | int] = {"sort": page.sort, "reviews_page": page_number}
    if page.stars:
        query["stars"] = page.stars
    if page.with_photos:
        query["photos"] = 1
    return urlencode(query)


@register.inclusion_tag("reviews/_stars.html")
def stars(value: float | int | None) -> dict[str, str]:
    """Five stars filled to ``value`` (out of 5; an average of 4.5 fills nine tenths of
    them), read out as "4.5 out of 5 stars"."""
    number = min(max(float(value or 0), 0.0), 5.0)
    label = f"{number:g}" if number.is_integer() else f"{number:.1f}"
    return {"label": label, "fill": f"{number * 20:.1f}%"}
