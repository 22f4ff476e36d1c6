"""Click-through: impressions and tag clicks counted per post and day, purchases
attributed to a post, and scheduled posts announced once due."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from shops.page_cache import shop_page_changed
from shops.posts.models import Post, PostDailyStats, PostOrderAttribution
from shops.posts.services.posts import row_id

VIEW_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_EVENTS_PER_BATCH = 100
IMPRESSION, TAG_CLICK = "impression", "click"
# Attribution, the one rule of the project (posts' revenue and the insights): an order
# counts for the last touch (the post whose tag was clicked, the source the shopper
# came from) when it was paid within this long of that touch.
ATTRIBUTION_WINDOW = timedelta(days=7)


def post_events_statement(
    *, events: Iterable[tuple[object, str]], day: date | None = None
) -> tuple[str, list] | None:
    """The one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` that counts ``events`` (see
    ``post_events_record``), as SQL and parameters, or None when there is nothing to
    count. The insights' beacon runs it in the same statement as its own events."""
    counts: dict[int, list[int]] = {}
    for raw_id, kind in list(events)[:MAX_EVENTS_PER_BATCH]:
        post_id = row_id(raw_id)
        if post_id is None or kind not in (IMPRESSION, TAG_CLICK):
            continue
        row = counts.setdefault(post_id, [0, 0])
        row[0 if kind == IMPRESSION else 1] = 1
    if not counts:
        return None
    day = day or timezone.localdate()
    stats, posts = PostDailyStats._meta.db_table, Post._meta.db_table
    ids = list(counts)
    sql = f"""
        INSERT INTO {stats} (post_id, day, impressions, tag_clicks)
        SELECT p.id, %s, e.impressions, e.tag_clicks
        FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS e(post_id, impressions, tag_clicks)
        JOIN {posts} p ON p.id = e.post_id AND p.status = 'published'
        ON CONFLICT (post_id, day) DO UPDATE SET
            impressions = {stats}.impressions + EXCLUDED.impressions,
            tag_clicks = {stats}.tag_clicks + EXCLUDED.tag_clicks
    """  # noqa: S608 (table names from the models, values as parameters)
    return sql, [day, ids, [counts[i][0] for i in ids], [counts[i][1] for i in ids]]


def post_events_record(*, events: Iterable[tuple[object, str]], day: date | None = None) -> int:
    """Count impressions and tag clicks: ``events`` are ``(post id, "impression" or
    "click")``. Each (post, kind) counts once per call (one page view); ids of unknown or
    unpublished posts are dropped. One statement, whatever the number of posts: an
    ``INSERT … SELECT … ON CONFLICT DO UPDATE`` adding to the (post, day) rows. Returns
    how many posts' rows were written."""
    statement = post_events_statement(events=events, day=day)
    if statement is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        return cursor.rowcount


def post_order_attribute(*, order: object, post_id: object, view_token: object) -> bool:
    """Link an order to the post whose tag the shopper clicked (``post_id`` and the page
    view's token came with the buy-now request). Attribution never costs a sale: a
    malformed token or an unknown or unpublished post records nothing (returns False)."""
    post_id = row_id(post_id)
    if post_id is None or not isinstance(view_token, str) or not VIEW_TOKEN.match(view_token):
        return False
    if not Post.objects.filter(id=post_id, status=Post.Status.PUBLISHED).exists():
        return False
    PostOrderAttribution.objects.create(order=order, post_id=post_id, view_token=view_token)
    return True


def posts_due_announce(*, window: timedelta, now: datetime | None = None) -> bool:
    """Retire the cached shop page if a published post's publish time came within the
    last ``window`` (run by the beat every minute, per shop): a scheduled post shows up
    without waiting for the cache's timeout. Returns whether the page was retired."""
    now = now or timezone.now()
    due = Post.objects.filter(
        status=Post.Status.PUBLISHED, published_at__gt=now - window, published_at__lte=now
    )
    if not due.exists():
        return False
    shop_page_changed()
    return True
