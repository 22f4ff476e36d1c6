"""Events in: the shopper's beacon (a batch of what one page view saw) and the paid
orders (server side, from ``orders.signals.order_paid``).

No cookie and nothing personal is kept. A visitor is the first 8 bytes of
``BLAKE2b(daily salt, shop, client address, user agent)`` (the approach Plausible
documents: https://plausible.io/data-policy#how-we-count-unique-users-without-cookies);
the salt lives in the shop's ``DailySalt`` row (and the cache) for its day only and is
deleted the next day, so no hash can be linked to an address or to another day's. The
address and the user agent themselves are never written anywhere.

Whatever the batch, one ``INSERT … SELECT FROM unnest(…)``: the request answers at once.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from shops.insights.models import CheckoutVisitor, DailySalt, Kind
from shops.posts.services import (
    ATTRIBUTION_WINDOW,
    IMPRESSION,
    TAG_CLICK,
    post_events_statement,
)
from shops.ratelimits import client_ip

logger = logging.getLogger(__name__)

MAX_BATCH_BYTES = 8 * 1024
MAX_EVENTS_PER_BATCH = 50
MAX_DEPTH = 3  # {"events": [{...}]}

# what a shopper's page may send, and which ids each kind may carry
BEACON_KINDS: dict[str, Kind] = {
    "page_view": Kind.PAGE_VIEW,
    "product_view": Kind.PRODUCT_VIEW,
    "post_impression": Kind.POST_IMPRESSION,
    "tag_click": Kind.TAG_CLICK,
    "bag_add": Kind.BAG_ADD,
    "checkout_started": Kind.CHECKOUT_STARTED,
}
# what the server records itself when it happened (``shopper_action_record``)
SHOPPER_ACTIONS = {"vote": Kind.VOTE, "review_written": Kind.REVIEW_WRITTEN}
PAGES = ("shop", "product", "post", "poll", "embed", "bag", "other")
EVENT_FIELDS = {"kind", "page", "post", "poll", "product"}
BATCH_FIELDS = {"events", "referrer", "url", "embed"}

BOT_USER_AGENT = re.compile(
    r"bot|crawl|spider|slurp|headless|lighthouse|pingdom|preview|facebookexternalhit|"
    r"curl|wget|python-requests|httpclient|java/|go-http|phantomjs|scrapy",
    re.IGNORECASE,
)

# channel of a referrer host or utm_source: the social platforms and search
CHANNEL_HOSTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("meta", ("facebook.", "fb.", "instagram.", "fb.me", "m.me", "threads.net")),
    ("pinterest", ("pinterest.", "pin.it")),
    ("tiktok", ("tiktok.",)),
    ("google", ("google.", "youtube.", "bing.", "duckduckgo.")),
)
CHANNEL_SOURCES = {
    "facebook": "meta",
    "fb": "meta",
    "instagram": "meta",
    "ig": "meta",
    "meta": "meta",
    "pinterest": "pinterest",
    "tiktok": "tiktok",
    "google": "google",
}
SALT_CACHE_SECONDS = 26 * 3600


class BeaconInvalid(ValueError):
    """A beacon this endpoint does not accept; the message says why (answered with 400)."""


@dataclass(frozen=True)
class Touch:
    """Where a page view came from: the source (utm_source, else the referrer's host,
    else "direct"), its channel, the utm medium/campaign, the embedding site."""

    source: str
    channel: str
    embed_site: str


def _host(url: object) -> str:
    if not isinstance(url, str) or not url:
        return ""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    return host.removeprefix("www.")[:100]


def touch_classify(*, referrer: str, url: str, embed: str, own_host: str) -> Touch:
    """Source and channel of a page view: ``utm_source`` from the page's URL first, then
    the referrer's host (the shop's own host counts as no referrer), then "direct". An
    embedded page's source is the embedding site, its channel "embed"."""
    embed_site = _host(embed)
    try:
        query = parse_qs(urlsplit(url).query) if isinstance(url, str) else {}
    except ValueError:
        query = {}
    utm_source = (query.get("utm_source") or [""])[0].strip().lower()[:100]
    referrer_host = _host(referrer)
    if referrer_host == own_host.removeprefix("www."):
        referrer_host = ""
    source = utm_source or referrer_host or embed_site or "direct"
    channel = CHANNEL_SOURCES.get(utm_source, "")
    if not channel:
        for name, hosts in CHANNEL_HOSTS:
            if any(source.startswith(h) or f".{h}" in f".{source}" for h in hosts):
                channel = name
                break
    if not channel:
        channel = "embed" if embed_site else ("direct" if source == "direct" else "other")
    return Touch(source=source, channel=channel, embed_site=embed_site)


def _salt(day: date) -> bytes:
    """Today's salt of the current shop: from the cache, else its row (made, and the
    older rows deleted, by the first visit of the day)."""
    key = f"insights:salt:{connection.schema_name}:{day.isoformat()}"
    salt = cache.get(key)
    if salt is None:
        row = DailySalt.objects.filter(day=day).first()
        if row is None:
            try:
                with transaction.atomic():
                    DailySalt.objects.filter(day__lt=day).delete()
                    row = DailySalt.objects.create(day=day, salt=secrets.token_bytes(32))
            except IntegrityError:  # another request made it first
                row = DailySalt.objects.get(day=day)
        salt = bytes(row.salt)
        cache.set(key, salt, timeout=SALT_CACHE_SECONDS)
    return salt


def visitor_hash(*, address: str, user_agent: str, day: date | None = None) -> int:
    """The visitor of today (UTC): a signed 64-bit number from the daily salted hash."""
    day = day or timezone.now().astimezone(UTC).date()
    digest = hashlib.blake2b(
        "\x00".join((connection.schema_name, address, user_agent)).encode(),
        key=_salt(day),
        digest_size=8,
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def is_bot(user_agent: str) -> bool:
    return not user_agent.strip() or bool(BOT_USER_AGENT.search(user_agent))


def _row_id(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise BeaconInvalid("Ids of posts, polls and products are positive whole numbers.")
    return value


def beacon_parse(data: object) -> tuple[list[tuple], Mapping[str, str]]:
    """Check a decoded beacon strictly: an object with ``events`` (1 to 50 objects of a
    known kind, with only ``kind``, ``page``, ``post``, ``poll``, ``product``) and
    optional strings ``referrer``, ``url``, ``embed``. Raises BeaconInvalid."""
    if not isinstance(data, dict):
        raise BeaconInvalid("A beacon is a JSON object.")
    unknown = set(data) - BATCH_FIELDS
    if unknown:
        raise BeaconInvalid(f"Unknown field: {sorted(unknown)[0]}.")
    events = data.get("events")
    if not isinstance(events, list) or not 0 < len(events) <= MAX_EVENTS_PER_BATCH:
        raise BeaconInvalid(f"events is a list of 1 to {MAX_EVENTS_PER_BATCH} events.")
    context = {}
    for field in ("referrer", "url", "embed"):
        value = data.get(field, "")
        if not isinstance(value, str) or len(value) > 2000:
            raise BeaconInvalid(f"{field} is a URL of at most 2000 characters.")
        context[field] = value
    rows = []
    for event in events:
        if not isinstance(event, dict) or set(event) - EVENT_FIELDS:
            raise BeaconInvalid("Each event is an object of kind, page, post, poll, product.")
        kind = BEACON_KINDS.get(event.get("kind"))  # type: ignore[arg-type]
        if kind is None:
            raise BeaconInvalid(f"Unknown kind; one of {', '.join(BEACON_KINDS)}.")
        page = event.get("page", "")
        if page not in ("", *PAGES):
            raise BeaconInvalid(f"Unknown page; one of {', '.join(PAGES)}.")
        rows.append(
            (
                int(kind),
                page,
                _row_id(event.get("post")),
                _row_id(event.get("poll")),
                _row_id(event.get("product")),
            )
        )
    return rows, context


_INSERT = """
    INSERT INTO insights_event
        (occurred_at, kind, visitor, page, source, channel, embed_site,
         post_id, poll_id, product_id, order_id, value_minor)
    SELECT %s, e.kind, %s, e.page, %s, %s, %s, e.post_id, e.poll_id, e.product_id,
           e.order_id, e.value_minor
      FROM unnest(%s::smallint[], %s::varchar[], %s::bigint[], %s::bigint[], %s::bigint[],
                  %s::bigint[], %s::bigint[])
           AS e(kind, page, post_id, poll_id, product_id, order_id, value_minor)
"""


def _insert(
    *,
    at: datetime,
    visitor: int,
    touch: Touch,
    rows: list[tuple[int, str, int | None, int | None, int | None, int | None, int]],
    also: tuple[str, list] | None = None,
) -> int:
    """One statement: the events' INSERT, with ``also`` (another data-modifying
    statement, the posts' counters) run as a CTE of it when given."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * 7
    sql = _INSERT
    params = [at, visitor, touch.source, touch.channel, touch.embed_site, *map(list, columns)]
    if also is not None:
        sql = f"WITH also AS ({also[0]}) {_INSERT}"
        params = [*also[1], *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def beacon_events_record(
    *, data: object, address: str, user_agent: str, own_host: str, now: datetime | None = None
) -> int:
    """Record a shopper's beacon (``data`` already decoded): checked by ``beacon_parse``
    (BeaconInvalid otherwise), dropped when the user agent is a bot's, else one INSERT.
    Returns how many events were written."""
    rows, context = beacon_parse(data)
    if is_bot(user_agent):
        return 0
    touch = touch_classify(
        referrer=context["referrer"], url=context["url"], embed=context["embed"], own_host=own_host
    )
    now = now or timezone.now()
    visitor = visitor_hash(address=address, user_agent=user_agent, day=now.astimezone(UTC).date())
    # the posts' own per-day counters (shops.posts), in the same statement
    post_counts = post_events_statement(
        events=[
            (post_id, IMPRESSION if kind == Kind.POST_IMPRESSION else TAG_CLICK)
            for kind, _page, post_id, _poll, _product in rows
            if kind in (Kind.POST_IMPRESSION, Kind.TAG_CLICK) and post_id is not None
        ]
    )
    return _insert(
        at=now,
        visitor=visitor,
        touch=touch,
        rows=[(*row, None, 0) for row in rows],
        also=post_counts,
    )


def shopper_action_record(
    request: HttpRequest,
    *,
    action: str,
    poll_id: int | None = None,
    product_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Record a vote or a written review, server side, once the service took it (the
    storefront's forms and the API's shopper endpoints call this). Sourced like a page
    view from the request's referrer; bots left out. Counting never costs the action: a
    database error here is logged and skipped (in a savepoint). Returns events written.
    ``now``: when it happened (the default; a generated day of the tests sets it)."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    if is_bot(user_agent):
        return 0
    touch = touch_classify(
        referrer=request.META.get("HTTP_REFERER", "")[:2000],
        url="",
        embed="",
        own_host=request.get_host().split(":")[0].lower(),
    )
    now = now or timezone.now()
    try:
        with transaction.atomic():
            visitor = visitor_hash(
                address=client_ip(request), user_agent=user_agent, day=now.astimezone(UTC).date()
            )
            return _insert(
                at=now,
                visitor=visitor,
                touch=touch,
                rows=[(int(SHOPPER_ACTIONS[action]), "", None, poll_id, product_id, None, 0)],
            )
    except DatabaseError:
        logger.exception("insights: %s not recorded", action)
        return 0


def checkout_visitor_keep(request: HttpRequest, *, order_id: int) -> bool:
    """At buy-now, in the shopper's own request: keep today's visitor hash for the
    order (``CheckoutVisitor``) so that its paid event, recorded later from the payment
    webhook, carries it. Bots left out; a database error is logged and skipped (in a
    savepoint), never costing the order. Returns whether it was kept."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    if is_bot(user_agent):
        return False
    day = timezone.now().astimezone(UTC).date()
    try:
        with transaction.atomic():
            visitor = visitor_hash(address=client_ip(request), user_agent=user_agent, day=day)
            CheckoutVisitor.objects.bulk_create(
                [CheckoutVisitor(order_id=order_id, visitor=visitor, day=day)],
                update_conflicts=True,
                unique_fields=["order_id"],
                update_fields=["visitor", "day"],
            )
    except DatabaseError:
        logger.exception("insights: visitor of order %s not kept", order_id)
        return False
    return True


def checkout_visitor_take(*, order_id: int, day: date) -> int | None:
    """The visitor kept for the order at buy-now if that was on ``day`` (the day it is
    paid: a hash means nothing on another day), deleting the row. One statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {CheckoutVisitor._meta.db_table} WHERE order_id = %s "
            "RETURNING visitor, day",
            [order_id],
        )
        row = cursor.fetchone()
    return row[0] if row is not None and row[1] == day else None


def checkout_visitors_forget(*, today: date | None = None) -> int:
    """Delete the kept visitors of days before ``today`` (orders never paid that day:
    their hash can no longer match anything). Returns how many."""
    today = today or timezone.now().astimezone(UTC).date()
    deleted, _ = CheckoutVisitor.objects.filter(day__lt=today).delete()
    return deleted


def order_paid_record(
    *,
    order_id: int,
    public_id: str,
    paid_at: datetime,
    amount_minor: int,
    utm_source: str,
    lines: list[tuple[int, int]],
    post_touch: tuple[int, datetime] | None,
    is_returning: bool,
    visitor: int | None = None,
) -> int:
    """Record a paid order: one ``paid`` event (its amount), one ``product_sold`` per
    line (product id, line total in minor units) and ``returning_paid`` when the shopper
    had paid before. Its source is the order's utm_source; its post is the post whose
    tag was clicked (``post_touch``: post id, click time) if that was within the
    attribution window (last touch within 7 days, ``shops.posts``' rule). The visitor is
    the one kept at buy-now that day (``checkout_visitor_take``), so a voter's purchase
    can be told; else a hash of the order, so orders count once each."""
    touch = touch_classify(referrer="", url=f"/?utm_source={utm_source}", embed="", own_host="")
    post_id = None
    if post_touch is not None and paid_at - post_touch[1] <= ATTRIBUTION_WINDOW:
        post_id = post_touch[0]
    if visitor is None:
        visitor = int.from_bytes(
            hashlib.blake2b(public_id.encode(), digest_size=8).digest(), "big", signed=True
        )
    rows: list[tuple[int, str, int | None, int | None, int | None, int | None, int]] = [
        (int(Kind.PAID), "", post_id, None, None, order_id, amount_minor)
    ]
    rows += [
        (int(Kind.PRODUCT_SOLD), "", post_id, None, product_id, order_id, total)
        for product_id, total in lines
    ]
    if is_returning:
        rows.append((int(Kind.RETURNING_PAID), "", post_id, None, None, order_id, amount_minor))
    return _insert(at=paid_at, visitor=visitor, touch=touch, rows=rows)
