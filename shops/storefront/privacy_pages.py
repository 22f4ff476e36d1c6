"""``/privacy/``: the shop's privacy page, written from what the shop actually does: what
it collects and why (the legal basis of each purpose), who processes it (Stripe, the
platforms it is connected to), how long it is kept (the shop's retention policy), the
shopper's rights and whom to ask. Cached like the shop page; a new retention policy or
a channel connected or removed retires it (``shop_page_changed``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from reviews.models import ReviewSettings
from shops.consent.disclosures import data_processors
from shops.page_cache import cached_page
from shops.retention.selectors import retention_policy
from shops.storefront.selectors import shop_theme


def my_data_url() -> str:
    """The shopper's "My data" page (``my-data``), "" where it is not there."""
    try:
        return reverse("my-data")
    except NoReverseMatch:
        return ""


def privacy_page(request: HttpRequest) -> HttpResponse:
    def render_page() -> tuple[bytes, dict[str, str]]:
        review_settings = ReviewSettings.objects.filter(key=1).first()
        context = {
            "retention": retention_policy(),
            "processors": data_processors(),
            "my_data_url": my_data_url(),
            "review_requests": review_settings is None or review_settings.requests_enabled,
            **shop_theme(),
        }
        html = render_to_string("storefront/privacy.html", context, request=request)
        return html.encode(), {"Content-Type": "text/html; charset=utf-8"}

    body, headers = cached_page(f"privacy:{request.get_host()}", render_page)
    return HttpResponse(body, headers=headers)
