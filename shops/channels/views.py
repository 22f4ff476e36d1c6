"""Product feeds: ``/feeds/<channel>.<csv|tsv|xml>?token=<secret>``.

The token is the connection's ``feed_token``, compared in constant time; connections
live in the shop's schema, so a token only ever opens its own shop's feed. A missing or
wrong token, an unknown channel or format answers 404 (nothing tells a guesser which
part was wrong). The answer streams, gzipped when the platform accepts it (compressed
chunk by chunk, so memory stays flat); ETag and Last-Modified let the platform skip an
unchanged feed (``If-None-Match`` with weak comparison, lists and ``*``, or
``If-Modified-Since``: 304). They move with the catalog's outbox, the connection, and the
shop's shipping rates (``orders.pricing.shipping_changed_at``: Google's items carry
shipping prices). HEAD answers GET's headers without making the feed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator

from django.db import connection as db_connection
from django.db.models import Max
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.text import compress_sequence
from django.views.decorators.http import require_safe

from catalog.models import CatalogChange, Product
from orders.pricing import shipping_changed_at
from shops.channels.feeds import CONTENT_TYPES, FORMATS, feed_stream
from shops.channels.items import shop_context
from shops.channels.models import Connection
from shops.channels.oauth import state_shop
from shops.models import Shop
from shops.selectors import shop_url

_GZIP = re.compile(r"\bgzip\b")


def _connection_for(channel: str, token: str) -> Connection:
    connection = Connection.objects.filter(channel=channel, is_enabled=True).first()
    expected = connection.feed_token if connection else "x" * 43
    if not token or not hmac.compare_digest(expected.encode(), token.encode()) or not connection:
        raise Http404
    return connection


@require_safe
def feed(request: HttpRequest, channel: str, file_format: str) -> HttpResponse:
    if file_format not in FORMATS.get(channel, ()):
        raise Http404
    connection = _connection_for(channel, request.GET.get("token", ""))
    shop = db_connection.tenant
    context = shop_context(base_url=request.build_absolute_uri("/").rstrip("/"))
    # a deleted product leaves no updated product behind, only its outbox row
    changes = CatalogChange.objects.aggregate(id=Max("id"), at=Max("created"))
    latest_change = changes["id"] or 0
    products_updated = Product.objects.aggregate(at=Max("updated"))["at"]
    # Google's items carry the shipping per country: a changed rate changes the feed
    shipping = shipping_changed_at()
    last_modified = max(
        filter(None, [products_updated, changes["at"], connection.updated, shipping])
    )
    changed = connection.updated.isoformat()
    version = (
        f"{channel}.{file_format}:{latest_change}:{changed}:{shipping.timestamp()}"
        f":{context.currency}"
        f":{context.base_url}:{shop.name}"
    )
    etag = quote_etag(hashlib.sha256(version.encode()).hexdigest()[:32])
    is_gzipped = _accepts_gzip(request)
    headers = {
        # the gzipped bytes differ from the identity ones: the same tag, made weak
        "ETag": f"W/{etag}" if is_gzipped else etag,
        "Last-Modified": http_date(last_modified.timestamp()),
        "Cache-Control": "private, no-cache",
        "Vary": "Accept-Encoding",
        "Content-Type": CONTENT_TYPES[file_format],
    }
    if is_gzipped:
        headers["Content-Encoding"] = "gzip"
    # If-None-Match (weak comparison, lists, *) first, else If-Modified-Since: RFC 9110
    not_modified = get_conditional_response(
        request,
        etag=etag,
        last_modified=int(last_modified.timestamp()),
        response=HttpResponse(headers=headers),
    )
    if not_modified.status_code != 200:
        return not_modified
    if request.method == "HEAD":  # GET's headers, and nothing made or read for the body
        return StreamingHttpResponse((), headers=headers)
    stream = feed_stream(
        connection=connection,
        context=context,
        file_format=file_format,
        shop_name=shop.name,
    )
    body: Iterator[bytes] = (chunk.encode() for chunk in stream)
    if is_gzipped:  # constant memory: one compressor, fed chunk by chunk
        body = compress_sequence(body)
    return StreamingHttpResponse(body, headers=headers)


def _accepts_gzip(request: HttpRequest) -> bool:
    """Whether the feed is sent gzipped: as GZipMiddleware decides for pages, which then
    leaves the feed's own Content-Encoding alone."""
    return _GZIP.search(request.headers.get("Accept-Encoding", "")) is not None


LOGIN_CALLBACK_PATH = "/admin/channels/connection/login/callback/"


@require_safe
def login_callback_relay(request: HttpRequest) -> HttpResponse:
    """The platform host's login callback (``/channels/login/callback/``, the one
    redirect URI registered with each platform): on to the shop's own callback, which
    the signed ``state`` names, with the query as it came. A state we did not sign (or
    too old) goes nowhere."""
    schema = state_shop(request.GET.get("state", "")[:2000])
    shop = Shop.objects.filter(schema_name=schema).first() if schema else None
    if shop is None:
        return HttpResponseBadRequest(
            "This login answer is not one Etalage started, or it expired: nothing was "
            "connected. Start again from your shop's channel page.",
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponseRedirect(
        f"{shop_url(shop, request)}{LOGIN_CALLBACK_PATH}?{request.GET.urlencode()}"
    )
