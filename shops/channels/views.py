"""Product feeds: ``/feeds/<channel>.<csv|tsv|xml>?token=<secret>``.

The token is the connection's ``feed_token``, compared in constant time; connections
live in the shop's schema, so a token only ever opens its own shop's feed. A missing or
wrong token, an unknown channel or format answers 404 (nothing tells a guesser which
part was wrong). The answer streams; ETag and Last-Modified let the platform skip an
unchanged feed.
"""

from __future__ import annotations

import hashlib
import hmac

from django.db import connection as db_connection
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import http_date, parse_etags, quote_etag
from django.views.decorators.http import require_GET

from catalog.models import CatalogChange, Product
from shops.channels.feeds import CONTENT_TYPES, FORMATS, feed_stream
from shops.channels.items import shop_context
from shops.channels.models import Connection


def _connection_for(channel: str, token: str) -> Connection:
    connection = Connection.objects.filter(channel=channel, is_enabled=True).first()
    expected = connection.feed_token if connection else "x" * 43
    if not token or not hmac.compare_digest(expected.encode(), token.encode()) or not connection:
        raise Http404
    return connection


@require_GET
def feed(request: HttpRequest, channel: str, file_format: str) -> HttpResponse:
    if file_format not in FORMATS.get(channel, ()):
        raise Http404
    connection = _connection_for(channel, request.GET.get("token", ""))
    shop = db_connection.tenant
    context = shop_context(base_url=request.build_absolute_uri("/").rstrip("/"))
    latest_change = CatalogChange.objects.aggregate(id=Max("id"))["id"] or 0
    last_modified = max(
        filter(None, [Product.objects.aggregate(at=Max("updated"))["at"], connection.updated])
    )
    changed = connection.updated.isoformat()
    version = f"{channel}.{file_format}:{latest_change}:{changed}:{context.currency}"
    etag = quote_etag(hashlib.sha256(version.encode()).hexdigest()[:32])
    headers = {"ETag": etag, "Last-Modified": http_date(last_modified.timestamp())}
    # If-None-Match compares weakly (RFC 9110): a gzipped answer carried the ETag as W/"…"
    known = parse_etags(request.headers.get("If-None-Match", ""))
    if etag in {tag.removeprefix("W/") for tag in known}:
        return HttpResponse(status=304, headers=headers)
    stream = feed_stream(
        connection=connection,
        context=context,
        file_format=file_format,
        shop_name=shop.name,
    )
    response = StreamingHttpResponse(
        (chunk.encode() for chunk in stream), content_type=CONTENT_TYPES[file_format]
    )
    for name, value in headers.items():
        response[name] = value
    response["Cache-Control"] = "private, no-cache"
    return response
