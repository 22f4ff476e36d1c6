"""The shop's numbers, read from the rollups only (so a 90-day range reads a few thousand
rows however many events there were). Every function takes ``start`` and ``end``, both
dates included, as UTC days, and runs a fixed number of queries whatever the data.

Money is ``Decimal`` in the shop's currency (``connection.tenant.currency``); rates are
floats between 0 and 1, or None when there is nothing to divide by. The numbers are as
fresh as the last rollup (the worker's beat runs it every minute).

Definitions (docs/insights.md):
- **sales**: what paid orders were paid (at the time they were paid); **orders**: paid
  orders; **average order value**: sales / orders;
- **sessions**: unique visitors per day, summed over the days (the visitor hash changes
  daily, as in Plausible: a shopper coming on two days is two sessions);
- **conversion**: orders / sessions; **returning shoppers**: paid orders whose email had
  a paid order before;
- the **funnel**: unique visitors per day with a page view, a product view, a bag add, a
  started checkout, summed over the days, then the paid orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal

from django.db import connection
from django.db.models import F, Q, Sum
from django.db.models.functions import TruncDay, TruncHour, TruncMonth, TruncWeek

from catalog.models import Product
from reviews.models import Poll
from shops.currencies import minor_units
from shops.insights.models import DailyRollup, Dimension, HourlyRollup, Kind
from shops.posts.models import Post

MAX_RANGE_DAYS = 731
METRICS = ("sales", "orders", "sessions", "page_views", "product_views", "conversion", "aov")
GRAINS = ("hour", "day", "week", "month")
BREAKDOWNS = ("source", "channel", "post", "poll", "product", "embed_site")
Metric = Literal["sales", "orders", "sessions", "page_views", "product_views", "conversion", "aov"]
Grain = Literal["hour", "day", "week", "month"]
Breakdown = Literal["source", "channel", "post", "poll", "product", "embed_site"]


class RangeInvalid(ValueError):
    """A date range the insights cannot read; the message says what to change."""


def range_check(start: date, end: date) -> None:
    """Raise RangeInvalid unless ``start`` ≤ ``end`` and the range is at most two years."""
    if end < start:
        raise RangeInvalid("The end date is before the start date.")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise RangeInvalid(f"A range is at most {MAX_RANGE_DAYS} days.")


def previous_range(start: date, end: date) -> tuple[date, date]:
    """The range of the same length just before ``start``…``end``."""
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time.min, tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
    )


def shop_currency() -> str:
    """The current shop's currency (what every amount here is in)."""
    return getattr(connection.tenant, "currency", "") or "EUR"


def _money(minor: int, currency: str) -> Decimal:
    return Decimal(int(minor)).scaleb(-minor_units(currency))


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class Totals:
    """The cards' numbers for one range."""

    start: date
    end: date
    currency: str
    sales: Decimal
    orders: int
    sessions: int
    returning_shoppers: int
    page_views: int

    @property
    def average_order_value(self) -> Decimal | None:
        if not self.orders:
            return None
        return (self.sales / self.orders).quantize(Decimal(1).scaleb(-minor_units(self.currency)))

    @property
    def conversion(self) -> float | None:
        """Paid orders per session."""
        return _ratio(self.orders, self.sessions)


@dataclass(frozen=True)
class Summary:
    """The cards: this range and the one of the same length just before."""

    current: Totals
    previous: Totals


def _totals(start: date, end: date, currency: str) -> Totals:
    """One query: the shop's daily rows of the range."""
    rows = {
        row["kind"]: row
        for row in DailyRollup.objects.filter(
            dimension=Dimension.TOTAL,
            day__gte=start,
            day__lte=end,
            kind__in=[Kind.PAID, Kind.RETURNING_PAID, Kind.PAGE_VIEW],
        )
        .values("kind")
        .annotate(events=Sum("events"), value_minor=Sum("value_minor"), visitors=Sum("visitors"))
    }
    paid, views = rows.get(Kind.PAID, {}), rows.get(Kind.PAGE_VIEW, {})
    return Totals(
        start=start,
        end=end,
        currency=currency,
        sales=_money(paid.get("value_minor") or 0, currency),
        orders=int(paid.get("events") or 0),
        sessions=int(views.get("visitors") or 0),
        returning_shoppers=int(rows.get(Kind.RETURNING_PAID, {}).get("events") or 0),
        page_views=int(views.get("events") or 0),
    )


def insights_summary(start: date, end: date) -> Summary:
    """The cards (sales, orders, average order value, sessions, conversion, returning
    shoppers) for ``start``…``end`` and for the range before it. Two queries."""
    range_check(start, end)
    currency = shop_currency()
    return Summary(
        current=_totals(start, end, currency),
        previous=_totals(*previous_range(start, end), currency),
    )


@dataclass(frozen=True)
class Point:
    """One bucket of a series: its start (a datetime at UTC) and the metric's value."""

    at: datetime
    value: Decimal | int | float | None


_TRUNC = {"hour": TruncHour, "day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def _buckets(start: date, end: date, grain: str) -> list[datetime]:
    low, high = _bounds(start, end)
    if grain == "hour":
        step = timedelta(hours=1)
        at = low
    elif grain == "day":
        step, at = timedelta(days=1), low
    elif grain == "week":
        step, at = timedelta(weeks=1), low - timedelta(days=start.weekday())
    else:
        at = low.replace(day=1)
        buckets = []
        while at < high:
            buckets.append(at)
            at = (at + timedelta(days=32)).replace(day=1)
        return buckets
    buckets = []
    while at < high:
        buckets.append(at)
        at += step
    return buckets


def insights_series(start: date, end: date, metric: Metric, grain: Grain = "day") -> list[Point]:
    """``metric`` per ``grain`` bucket from ``start`` to ``end``, every bucket present
    (zero, or None for a rate with nothing to divide by). Sessions and conversion are
    counted per day, so they take "day", "week" or "month". One query."""
    range_check(start, end)
    if metric not in METRICS:
        raise RangeInvalid(f"Unknown metric; one of {', '.join(METRICS)}.")
    if grain not in GRAINS:
        raise RangeInvalid(f"Unknown grain; one of {', '.join(GRAINS)}.")
    if grain == "hour" and (end - start).days > 31:
        raise RangeInvalid("Hourly series cover at most 31 days.")
    needs_visitors = metric in ("sessions", "conversion")
    if needs_visitors and grain == "hour":
        raise RangeInvalid("Sessions are counted per day: choose day, week or month.")
    currency = shop_currency()
    low, high = _bounds(start, end)
    trunc = _TRUNC[grain]
    kind = {
        "page_views": Kind.PAGE_VIEW,
        "product_views": Kind.PRODUCT_VIEW,
    }.get(metric, Kind.PAID)
    # hours from the hourly totals, days and longer from the daily rows
    if grain == "hour":
        rows = (
            HourlyRollup.objects.filter(kind=kind, hour__gte=low, hour__lt=high)
            .annotate(bucket=trunc("hour", tzinfo=UTC))
            .values("bucket")
            .annotate(events=Sum("events"), value_minor=Sum("value_minor"))
        )
    else:
        rows = (
            DailyRollup.objects.filter(
                dimension=Dimension.TOTAL,
                kind__in=[kind, Kind.PAGE_VIEW] if needs_visitors else [kind],
                day__gte=start,
                day__lte=end,
            )
            .annotate(bucket=trunc("day"))
            .values("bucket")
            .annotate(
                events=Sum("events", filter=Q(kind=kind)),
                value_minor=Sum("value_minor", filter=Q(kind=kind)),
                visitors=Sum("visitors", filter=Q(kind=Kind.PAGE_VIEW)),
            )
        )
    hourly: dict[datetime, dict] = {}
    visitors: dict[datetime, int] = {}
    for row in rows:
        bucket = row["bucket"]
        if not isinstance(bucket, datetime):
            bucket = datetime.combine(bucket, time.min, tzinfo=UTC)
        bucket = bucket.astimezone(UTC)
        hourly[bucket] = row
        visitors[bucket] = int(row.get("visitors") or 0)
    points = []
    for at in _buckets(start, end, grain):
        row = hourly.get(at, {})
        events, value_minor = int(row.get("events") or 0), int(row.get("value_minor") or 0)
        value: Decimal | int | float | None
        if metric == "sales":
            value = _money(value_minor, currency)
        elif metric == "aov":
            value = _money(value_minor, currency) / events if events else None
        elif metric == "sessions":
            value = visitors.get(at, 0)
        elif metric == "conversion":
            value = _ratio(events, visitors.get(at, 0))
        else:
            value = events
        points.append(Point(at=at, value=value))
    return points


@dataclass(frozen=True)
class FunnelStep:
    name: str
    label: str
    count: int
    rate_from_previous: float | None
    rate_from_first: float | None


@dataclass(frozen=True)
class Funnel:
    """Visit → product view → bag add → checkout started → paid (see the module)."""

    start: date
    end: date
    steps: list[FunnelStep]


FUNNEL_STEPS = (
    ("visit", "Visited", Kind.PAGE_VIEW),
    ("product_view", "Viewed a product", Kind.PRODUCT_VIEW),
    ("bag_add", "Added to bag", Kind.BAG_ADD),
    ("checkout_started", "Started checkout", Kind.CHECKOUT_STARTED),
    ("paid", "Paid", Kind.PAID),
)


def insights_funnel(start: date, end: date) -> Funnel:
    """The funnel's steps with their counts and step-to-step rates. One query."""
    range_check(start, end)
    rows = {
        row["kind"]: row
        for row in DailyRollup.objects.filter(
            dimension=Dimension.TOTAL,
            day__gte=start,
            day__lte=end,
            kind__in=[kind for _, _, kind in FUNNEL_STEPS],
        )
        .values("kind")
        .annotate(visitors=Sum("visitors"), events=Sum("events"))
    }
    counts = [int(rows.get(kind, {}).get("visitors") or 0) for _, _, kind in FUNNEL_STEPS[:-1]]
    counts.append(int(rows.get(Kind.PAID, {}).get("events") or 0))
    steps = []
    for index, ((name, label, _), count) in enumerate(zip(FUNNEL_STEPS, counts, strict=True)):
        steps.append(
            FunnelStep(
                name=name,
                label=label,
                count=count,
                rate_from_previous=_ratio(count, counts[index - 1]) if index else None,
                rate_from_first=_ratio(count, counts[0]) if index else None,
            )
        )
    return Funnel(start=start, end=end, steps=steps)


@dataclass(frozen=True)
class Row:
    """One line of a breakdown table. ``key`` is the dimension's value (a source, a
    channel, a host, or an id as text); ``label`` what a person reads (a post's caption,
    a product's title, a poll's question; the key itself otherwise)."""

    key: str
    label: str
    visitors: int  # unique visitors per day, summed (sources, channels, sites, products)
    page_views: int
    product_views: int
    post_impressions: int
    tag_clicks: int
    votes: int
    orders: int  # paid orders attributed to it (last touch within 7 days)
    revenue: Decimal  # products: what the product's lines sold for
    units_sold: int  # products: paid order lines
    # polls: voters whose paid order came after their vote the same day (visitors are
    # recognised within a UTC day only), summed over the days
    voters_bought: int = 0

    @property
    def click_through(self) -> float | None:
        """Posts: tag clicks per impression."""
        return _ratio(self.tag_clicks, self.post_impressions)

    @property
    def conversion(self) -> float | None:
        """Orders per visitor (products: paid lines per product view)."""
        if self.units_sold:
            return _ratio(self.units_sold, self.product_views)
        return _ratio(self.orders, self.visitors)


@dataclass(frozen=True)
class Page:
    """A page of a breakdown, sorted by the dimension's main figure, largest first."""

    by: str
    start: date
    end: date
    currency: str
    rows: list[Row]
    total_rows: int
    limit: int
    offset: int
    attribution: str = "Last touch within 7 days"
    columns: tuple[str, ...] = field(default=())


# the figure a breakdown is sorted by, and the columns that mean something for it
SORT_KIND = {
    "source": Kind.PAGE_VIEW,
    "channel": Kind.PAGE_VIEW,
    "embed_site": Kind.PAGE_VIEW,
    "post": Kind.POST_IMPRESSION,
    "poll": Kind.VOTE,
    "product": Kind.PRODUCT_VIEW,
}
COLUMNS = {
    "source": ("visitors", "page_views", "orders", "revenue", "conversion"),
    "channel": ("visitors", "page_views", "orders", "revenue", "conversion"),
    "embed_site": ("visitors", "page_views", "orders", "revenue", "conversion"),
    "post": ("post_impressions", "tag_clicks", "click_through", "orders", "revenue"),
    "poll": ("page_views", "votes", "voters_bought"),
    "product": ("product_views", "units_sold", "revenue", "conversion"),
}


def _labels(by: str, keys: list[str]) -> dict[str, str]:
    ids = [int(key) for key in keys if key.isdigit()]
    if by == "post":
        return {
            str(pk): (caption or "").strip().split("\n")[0][:60] or f"Post {pk}"
            for pk, caption in Post.objects.filter(id__in=ids).values_list("id", "caption")
        }
    if by == "product":
        return {
            str(pk): title
            for pk, title in Product.objects.filter(id__in=ids).values_list("id", "title")
        }
    if by == "poll":
        return {
            str(pk): question
            for pk, question in Poll.objects.filter(id__in=ids).values_list("id", "question")
        }
    return {}


def insights_table(start: date, end: date, by: Breakdown, limit: int = 20, offset: int = 0) -> Page:
    """One page of the breakdown ``by`` source, channel, post, poll, product or
    embedding site. Four queries at most (count, keys of the page, their sums, labels)."""
    range_check(start, end)
    if by not in BREAKDOWNS:
        raise RangeInvalid(f"Unknown breakdown; one of {', '.join(BREAKDOWNS)}.")
    if not 1 <= limit <= 500 or offset < 0:
        raise RangeInvalid("limit is 1 to 500, offset 0 or more.")
    currency = shop_currency()
    rows = DailyRollup.objects.filter(dimension=by, day__gte=start, day__lte=end)
    per_value = rows.values("value").annotate(
        sort=Sum("events", filter=Q(kind=SORT_KIND[by])),
        paid=Sum("events", filter=Q(kind=Kind.PAID)),
    )
    total_rows = per_value.count()
    keys = [
        row["value"]
        for row in per_value.order_by(
            F("sort").desc(nulls_last=True), F("paid").desc(nulls_last=True), "value"
        ).values("value")[offset : offset + limit]
    ]
    visitor_kind = Kind.PRODUCT_VIEW if by == "product" else Kind.PAGE_VIEW
    sums = {
        (row["value"], row["kind"]): row
        for row in rows.filter(value__in=keys)
        .values("value", "kind")
        .annotate(events=Sum("events"), value_minor=Sum("value_minor"), visitors=Sum("visitors"))
    }
    visitors = {key: sums.get((key, visitor_kind), {}).get("visitors") or 0 for key in keys}
    labels = _labels(by, keys) if by in ("post", "product", "poll") else {}

    def events(key: str, kind: Kind) -> int:
        return int(sums.get((key, kind), {}).get("events") or 0)

    def minor(key: str, kind: Kind) -> int:
        return int(sums.get((key, kind), {}).get("value_minor") or 0)

    revenue_kind = Kind.PRODUCT_SOLD if by == "product" else Kind.PAID
    return Page(
        by=by,
        start=start,
        end=end,
        currency=currency,
        total_rows=total_rows,
        limit=limit,
        offset=offset,
        columns=COLUMNS[by],
        rows=[
            Row(
                key=key,
                label=labels.get(key) or key,
                visitors=int(visitors.get(key) or 0),
                page_views=events(key, Kind.PAGE_VIEW),
                product_views=events(key, Kind.PRODUCT_VIEW),
                post_impressions=events(key, Kind.POST_IMPRESSION),
                tag_clicks=events(key, Kind.TAG_CLICK),
                votes=events(key, Kind.VOTE),
                orders=events(key, Kind.PAID),
                revenue=_money(minor(key, revenue_kind), currency),
                units_sold=events(key, Kind.PRODUCT_SOLD),
                voters_bought=events(key, Kind.VOTER_BOUGHT),
            )
            for key in keys
        ],
    )
