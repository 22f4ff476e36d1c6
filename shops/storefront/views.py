from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.static import serve

from catalog.selectors import product_cards, products_page


def shop_page(request: HttpRequest) -> HttpResponse:
    """The shop page: active products, 24 a page (``?page=<n>``), in a constant number of
    queries. The storefront issue adds designed sections around the list."""
    page = products_page(page_number=request.GET.get("page"))
    context = {"page": page, "cards": product_cards(page), "currency": request.shop.currency}
    return render(request, "storefront/shop_page.html", context)


def media(request: HttpRequest, path: str) -> HttpResponse:
    """Development only: serve this shop's media folder, and no other shop's."""
    prefix = f"{connection.schema_name}/"
    if not path.startswith(prefix):
        raise Http404("Not this shop's file")
    return serve(request, path, document_root=Path(settings.MEDIA_ROOT))
