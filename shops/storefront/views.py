"""Shopper pages of the storefront: the shop page, the embedded shop page and its loader.

The shop page and the embed are cached per shop (``cache.py``); what they show comes from
the *published* design only. The embed may be framed by the shop's allowed origins alone
(``Content-Security-Policy: frame-ancestors``); every other page keeps Django's
``X-Frame-Options: DENY``. Nothing here sets or reads a cookie, so the embed works with
third-party cookies blocked.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import urlencode
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_safe
from django.views.static import serve

from catalog.models import Product
from catalog.selectors import product_cards, products_search_page
from config.storage import PRIVATE_MEDIA_FOLDERS
from orders.payment_accounts import shop_can_sell
from reviews.selectors import product_ratings
from shops.page_cache import cached_page
from shops.storefront.branding import theme_context
from shops.storefront.product_pages import product_page_context
from shops.storefront.selectors import (
    design_get,
    embed_origins,
    menu_collections,
    published_document,
    sections_for_page,
    shop_theme,
)
from shops.storefront.seo import shop_meta
from shops.views import icon_response

MAX_PAGE_NUMBER = 10_000
SLUG = re.compile(r"[-\w]{1,255}")
EMBED_BASE = "storefront/embed_base.html"


def page_number_from(value: str | None) -> int:
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE_NUMBER)


def shop_page_render(
    request: HttpRequest,
    *,
    document: dict,
    page_number: int = 1,
    section_id: str | None = None,
    embed_allowed_origins: list[str] | None = None,
    is_preview: bool = False,
) -> str:
    """The shop page (or, with ``embed_allowed_origins``, the embed) of ``document``."""
    sections = sections_for_page(document=document, page_number=page_number, section_id=section_id)
    is_embed = embed_allowed_origins is not None
    page_prefix = f"?section={section_id}&" if is_embed and section_id else "?"
    context = {
        **theme_context(document["branding"]),
        "sections": sections,
        "menu_collections": [] if is_embed else menu_collections(),
        "meta": shop_meta(
            shop_name=request.shop.name,
            branding=document["branding"],
            sections=sections,
            absolute_url=request.build_absolute_uri,
        ),
        "currency": request.shop.currency,
        "base_template": EMBED_BASE if is_embed else "base.html",
        "embed": is_embed,
        "embed_allowed_origins": embed_allowed_origins or [],
        "page_prefix": page_prefix,
        "is_preview": is_preview,
    }
    return render_to_string("storefront/shop_page.html", context, request=request)


def frame_ancestors(origins: list[str]) -> str:
    return "frame-ancestors " + (" ".join(origins) if origins else "'none'")


@require_safe
def shop_page(request: HttpRequest) -> HttpResponse:
    """The shop page as designed and published: sections, ``?page=<n>`` pages the product
    grid. Cached per shop; constant queries when not."""
    page_number = page_number_from(request.GET.get("page"))

    def render_page() -> tuple[bytes, dict[str, str]]:
        html = shop_page_render(
            request, document=published_document(design_get()), page_number=page_number
        )
        return html.encode(), {"Content-Type": "text/html; charset=utf-8"}

    body, headers = cached_page(f"shop:{request.get_host()}:{page_number}", render_page)
    return HttpResponse(body, headers=headers)


@xframe_options_exempt
@require_safe
def embed(request: HttpRequest) -> HttpResponse:
    """The shop for an iframe: whole, one section (``?section=<id>``), one product
    (``?product=<slug>``) or the shopper's bag (``?bag=1``). Only the shop's allowed
    origins may frame it."""
    if request.GET.get("bag"):
        return _embed_bag(request)
    product_slug = request.GET.get("product")
    if product_slug:
        if not SLUG.fullmatch(product_slug):  # a NUL reached PostgreSQL: a 500
            raise Http404("No such product in this shop")
        return _embed_product(request, product_slug)
    section_id = request.GET.get("section") or None
    page_number = page_number_from(request.GET.get("page"))

    def render_embed() -> tuple[bytes, dict[str, str]]:
        design = design_get()
        document = published_document(design)
        if section_id and section_id not in {s["id"] for s in document["sections"]}:
            raise Http404("No such section on this shop's page")
        origins = embed_origins(design)
        html = shop_page_render(
            request,
            document=document,
            page_number=page_number,
            section_id=section_id,
            embed_allowed_origins=origins,
        )
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": frame_ancestors(origins),
        }
        return html.encode(), headers

    key = f"embed:{request.get_host()}:{section_id or ''}:{page_number}"
    body, headers = cached_page(key, render_embed)
    return HttpResponse(body, headers=headers)


def _embed_product(request: HttpRequest, slug: str) -> HttpResponse:
    design = design_get()
    origins = embed_origins(design)
    try:
        context = product_page_context(request, slug)
    except Product.DoesNotExist:
        raise Http404("No such product in this shop") from None
    document = published_document(design)
    context.update(theme_context(document["branding"]))
    context.update(
        base_template=EMBED_BASE, embed=True, embed_allowed_origins=origins, home_url="/embed/"
    )
    response = render(request, "catalog/product_page.html", context)
    response["Content-Security-Policy"] = frame_ancestors(origins)
    return response


def _embed_bag(request: HttpRequest) -> HttpResponse:
    design = design_get()
    origins = embed_origins(design)
    context = {
        **theme_context(published_document(design)["branding"]),
        "can_sell": shop_can_sell(),
        "base_template": EMBED_BASE,
        "embed": True,
        "embed_allowed_origins": origins,
        "home_url": "/embed/",
    }
    response = render(request, "orders/bag.html", context)
    response["Content-Security-Policy"] = frame_ancestors(origins)
    return response


@require_GET
def bag_page(request: HttpRequest) -> HttpResponse:
    """``/bag/``: the bag kept in the shopper's browser (``static/orders/bag.js`` lists
    its lines, checked by the shop, and pays them with buy-now's form)."""
    return render(request, "orders/bag.html", {**shop_theme(), "can_sell": shop_can_sell()})


@require_safe
def embed_loader(request: HttpRequest) -> HttpResponse:
    """``/embed.js``: the one-line snippet's script. It inserts the iframe after itself."""
    response = render(request, "storefront/embed.js", content_type="text/javascript")
    response["Cache-Control"] = "public, max-age=300"
    return response


SEARCH_MAX_LENGTH = 100


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """``/search/?q=<words>&page=<n>``: the shop's active products matching the words,
    best first, a page of cards at a time; an empty search or no match says so."""
    text = " ".join((request.GET.get("q") or "").split())[:SEARCH_MAX_LENGTH]
    page = products_search_page(text=text, page_number=page_number_from(request.GET.get("page")))
    cards = product_cards(page.object_list)
    ratings = product_ratings(product_ids=[card.product.pk for card in cards]) if cards else {}
    context = {
        **shop_theme(),
        "search_text": text,
        "page": page,
        "section": {"cards": cards, "ratings": ratings},
        "query_prefix": urlencode({"q": text}) + "&",
        "currency": request.shop.currency,
    }
    return render(request, "storefront/search.html", context)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``: the icon the shop's designer set (its smallest rendition), else
    Etalage's own; never a 404."""
    icon = published_document(design_get())["branding"].get("favicon")
    if not icon:
        return icon_response()
    renditions = icon.get("renditions") or {}
    name = renditions[min(renditions, key=int)] if renditions else icon["name"]
    try:
        with default_storage.open(name) as file:
            data = file.read()
    except OSError:  # the file is gone: the default rather than a broken icon
        return icon_response()
    return icon_response(data=data, content_type=mimetypes.guess_type(name)[0] or "image/webp")


def media(request: HttpRequest, path: str) -> HttpResponse:
    """Development only: serve this shop's media folder, and no other shop's.

    The path is taken apart before anything is looked up: a ``..``, a backslash or an
    empty segment is refused (``shop_b/../shop_a/…`` named another shop's file), the
    rest is served from the shop's own folder only, and the private folders (import
    files and their error reports) never."""
    segments = path.split("/")
    if "\\" in path or any(segment in ("", ".", "..") for segment in segments):
        raise Http404("Not a media path")
    if segments[0] != connection.schema_name:
        raise Http404("Not this shop's file")
    inside = "/".join(segments[1:])
    if not inside or inside.startswith(PRIVATE_MEDIA_FOLDERS):
        raise Http404("Not a public file")
    return serve(request, inside, document_root=Path(settings.MEDIA_ROOT) / connection.schema_name)
