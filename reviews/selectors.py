"""Reads of reviews and polls, each in a constant number of queries.

- ``product_ratings``: average, count and star distribution of approved reviews, for
  any number of products in one query (product page, JSON-LD, channel feeds).
- ``product_reviews_page``: one page of a product's approved reviews, sorted and
  filtered, with photos (two queries).
- ``reviews_for_wall``, ``poll_view``: one query each, as JSON, whose SQL
  (``*_query``) the shop page runs with its other sections' in one statement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    When,
)
from django.utils import timezone

from catalog.json_rows import json_values, model_from_json
from catalog.models import Product
from reviews.models import Poll, PollOption, PollVote, Review, ReviewPhoto
from shops.media import rendition_url

APPROVED = Review.Status.APPROVED
WILSON_Z = 1.959964  # 95 % confidence
PAGE_SIZE = 10
SORTS = {
    "helpful": ("-helpful_score", "-created", "-id"),
    "newest": ("-created", "-id"),
    "highest": ("-rating", "-created", "-id"),
    "lowest": ("rating", "-created", "-id"),
    "photos": ("-has_photos", "-helpful_score", "-created", "-id"),
}
SORT_LABELS = {
    "helpful": "Most helpful",
    "newest": "Newest",
    "highest": "Highest rating",
    "lowest": "Lowest rating",
    "photos": "With photos first",
}


def wilson_lower_bound(up: int, down: int, z: float = WILSON_Z) -> float:
    """The lower bound of the Wilson score interval of the up-vote share: how helpful a
    review surely is, given few or many votes (0 without votes)."""
    n = up + down
    if n == 0:
        return 0.0
    p = up / n
    return (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (
        1 + z * z / n
    )


@dataclass(frozen=True)
class Rating:
    """A product's approved reviews in numbers."""

    count: int = 0
    average: float | None = None
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(5, 0, -1), 0))

    @property
    def average_display(self) -> str:
        return f"{self.average:.1f}" if self.average is not None else ""

    @property
    def bars(self) -> list[tuple[int, int, int]]:
        """(stars, count, percent) from 5 stars down, for the distribution chart."""
        return [
            (stars, count, round(100 * count / self.count) if self.count else 0)
            for stars, count in self.distribution.items()
        ]


def product_ratings(*, product_ids: list[int]) -> dict[int, Rating]:
    """Every given product's rating from its approved reviews, in one query (products
    without approved reviews get an empty ``Rating``). For pages and channel feeds."""
    ratings = {product_id: Rating() for product_id in product_ids}
    if not product_ids:
        return ratings
    rows = (
        Review.objects.filter(product_id__in=product_ids, status=APPROVED)
        .values("product_id")
        .annotate(
            count=Count("id"),
            average=Avg("rating"),
            **{f"stars_{n}": Count("id", filter=Q(rating=n)) for n in range(1, 6)},
        )
        .order_by()
    )
    for row in rows:
        ratings[row["product_id"]] = Rating(
            count=row["count"],
            average=float(row["average"]),
            distribution={n: row[f"stars_{n}"] for n in range(5, 0, -1)},
        )
    return ratings


def product_ratings_query(*, product_ids: list[int]) -> tuple[str, list]:
    """The products' approved review counts and averages as one JSON value (``{id: [count,
    average]}``), for ``json_values`` to run with a page's other reads in one query."""
    table = Review._meta.db_table
    sql = (
        "SELECT json_object_agg(r.product_id, json_build_array(r.n, r.average)) FROM ("  # noqa: S608 (a model's table)
        "SELECT product_id, count(*) AS n, avg(rating)::float8 AS average "
        f"FROM {table} WHERE status = %s AND product_id = ANY(%s) GROUP BY product_id) r"
    )
    return sql, [APPROVED, list(product_ids)]


def product_ratings_from_json(data: dict | None, *, product_ids: list[int]) -> dict[int, Rating]:
    """``product_ratings_query``'s value as ``Rating``s (without the distribution)."""
    ratings = {product_id: Rating() for product_id in product_ids}
    for product_id, (count, average) in (data or {}).items():
        ratings[int(product_id)] = Rating(count=count, average=average)
    return ratings


def product_rating(*, product_id: int) -> Rating:
    return product_ratings(product_ids=[product_id])[product_id]


def _with_photos(reviews: QuerySet[Review]) -> QuerySet[Review]:
    return reviews.prefetch_related(
        Prefetch("photos", queryset=ReviewPhoto.objects.order_by("position", "id"))
    )


@dataclass
class ReviewPage:
    reviews: list[Review]
    sort: str
    stars: int | None
    with_photos: bool
    page_number: int
    has_next: bool


def product_reviews_page(
    *,
    product_id: int,
    sort: str = "helpful",
    stars: int | None = None,
    with_photos: bool = False,
    page_number: int = 1,
) -> ReviewPage:
    """One page of a product's approved reviews with their photos (two queries, whatever
    the number of reviews, photos and votes). Unknown sorts fall back to most helpful."""
    sort = sort if sort in SORTS else "helpful"
    stars = stars if stars in (1, 2, 3, 4, 5) else None
    page_number = max(1, page_number)
    reviews = Review.objects.filter(product_id=product_id, status=APPROVED).annotate(
        has_photos=Case(When(photo_count__gt=0, then=1), default=0, output_field=IntegerField())
    )
    if stars is not None:
        reviews = reviews.filter(rating=stars)
    if with_photos:
        reviews = reviews.filter(photo_count__gt=0)
    start = (page_number - 1) * PAGE_SIZE
    rows = list(_with_photos(reviews.order_by(*SORTS[sort]))[start : start + PAGE_SIZE + 1])
    return ReviewPage(
        reviews=rows[:PAGE_SIZE],
        sort=sort,
        stars=stars,
        with_photos=with_photos,
        page_number=page_number,
        has_next=len(rows) > PAGE_SIZE,
    )


_REVIEW, _PHOTO = Review._meta.db_table, ReviewPhoto._meta.db_table
_POLL, _OPTION, _PRODUCT = Poll._meta.db_table, PollOption._meta.db_table, Product._meta.db_table
# what the shop page shows of a product named by a review or a poll option
_PRODUCT_LINK = "json_build_object('id', pr.id, 'slug', pr.slug, 'title', pr.title)"
_WALL_SQL = f"""
SELECT json_agg(json_build_object(
           'review', row_to_json(r),
           'product', (SELECT {_PRODUCT_LINK} FROM {_PRODUCT} pr WHERE pr.id = r.product_id),
           'photo', (SELECT json_build_object(
                         'renditions', ph.renditions, 'width', ph.width, 'height', ph.height)
                     FROM {_PHOTO} ph WHERE ph.review_id = r.id
                     ORDER BY ph.position, ph.id LIMIT 1))
       ORDER BY r.photo_count DESC, r.created DESC, r.id DESC)
FROM (SELECT * FROM {_REVIEW} WHERE status = %s AND rating >= %s
      ORDER BY photo_count DESC, created DESC, id DESC LIMIT %s) r
"""  # noqa: S608 (the models' own tables)


def reviews_for_wall_query(*, limit: int, min_rating: int) -> tuple[str, list]:
    """The SQL (one JSON value) and parameters of ``reviews_for_wall``, for the shop page
    to read with its other sections (``catalog.json_rows.json_values``)."""
    return _WALL_SQL, [APPROVED, min_rating, limit]


def reviews_for_wall_from_json(items: list[dict] | None) -> list[Review]:
    """The reviews of ``reviews_for_wall_query``'s value."""
    reviews = []
    for item in items or []:
        review = model_from_json(Review, item["review"])
        review.product = model_from_json(Product, item["product"])
        photo = item["photo"] or {}
        review.wall_photo_renditions = photo.get("renditions")
        review.wall_photo_width = photo.get("width")
        review.wall_photo_height = photo.get("height")
        reviews.append(review)
    return reviews


def reviews_for_wall(*, limit: int, min_rating: int) -> list[Review]:
    """The approved reviews rated ``min_rating`` or more, those with photos first, then
    the newest, each with its product (id, slug, title) and its first photo
    (``wall_photo_renditions``, ``wall_photo_width``, ``wall_photo_height``) in one
    query, for the reviews wall."""
    (items,) = json_values([reviews_for_wall_query(limit=limit, min_rating=min_rating)])
    return reviews_for_wall_from_json(items)


def reviews_for_json_ld(*, product_id: int, limit: int = 5) -> list[Review]:
    return list(
        Review.objects.filter(product_id=product_id, status=APPROVED).order_by(
            "-helpful_score", "-created"
        )[:limit]
    )


def photo_url(photo: ReviewPhoto, width: int = 320) -> str:
    return rendition_url(photo.renditions, width) or (photo.image.url if photo.image else "")


# --- Polls ------------------------------------------------------------------------------


@dataclass
class PollView:
    """A poll with its options (and their products), read in one query."""

    poll: Poll
    options: list[PollOption]

    @property
    def id(self) -> int:
        return self.poll.pk

    @property
    def question(self) -> str:
        return self.poll.question

    @property
    def total(self) -> int:
        return sum(option.vote_count for option in self.options)

    @property
    def results(self) -> list[tuple[PollOption, int]]:
        """Each option with its share of the votes, in whole percent."""
        total = self.total
        return [
            (option, round(100 * option.vote_count / total) if total else 0)
            for option in self.options
        ]


def vote_shares(vote_counts: list[int]) -> list[str]:
    """Each count's share of the total in percent, one decimal, as strings ("33.3");
    all "0.0" when nobody voted. Rounded half up, so shares may add to 99.9 or 100.1."""
    total = sum(vote_counts)
    if not total:
        return ["0.0" for _count in vote_counts]
    return [
        str((Decimal(100 * count) / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
        for count in vote_counts
    ]


_POLL_SQL = f"""
SELECT json_build_object(
           'poll', row_to_json(p),
           'options', (SELECT json_agg(json_build_object(
                                  'option', row_to_json(o),
                                  'product', (SELECT {_PRODUCT_LINK} FROM {_PRODUCT} pr
                                              WHERE pr.id = o.product_id))
                              ORDER BY o.position, o.id)
                       FROM {_OPTION} o WHERE o.poll_id = p.id))
FROM {_POLL} p
WHERE p.id = {{chosen}}
"""  # noqa: S608 (the models' own tables)
_LATEST_POLL_SQL = (
    f"(SELECT id FROM {_POLL} WHERE opens_at <= %s ORDER BY opens_at DESC, id DESC LIMIT 1)"  # noqa: S608
)


def poll_view_query(*, poll_id: int | None) -> tuple[str, list]:
    """The SQL (one JSON value) and parameters of ``poll_view``, for the shop page to read
    with its other sections (``catalog.json_rows.json_values``)."""
    if poll_id is None:
        return _POLL_SQL.format(chosen=_LATEST_POLL_SQL), [timezone.now()]
    return _POLL_SQL.format(chosen="%s"), [poll_id]


def poll_view_from_json(data: dict | None) -> PollView | None:
    """The poll of ``poll_view_query``'s value; None without a poll or without options."""
    if not data or not data["options"]:
        return None
    poll = model_from_json(Poll, data["poll"])
    options = []
    for item in data["options"]:
        option = model_from_json(PollOption, item["option"])
        option.poll = poll
        option.product = model_from_json(Product, item["product"]) if item["product"] else None
        options.append(option)
    return PollView(poll=poll, options=options)


def poll_view(*, poll_id: int | None) -> PollView | None:
    """The poll (or, with None, the latest one that has opened) with its options (their
    vote counts) and their products (id, slug, title), in one query; None when there is
    no such poll (or it has no options)."""
    (data,) = json_values([poll_view_query(poll_id=poll_id)])
    return poll_view_from_json(data)


def poll_voted_option(*, poll_id: int, voter: str) -> int | None:
    """The option this shopper voted for, if they did."""
    return (
        PollVote.objects.filter(voter=voter, poll_id=poll_id)
        .values_list("option_id", flat=True)
        .first()
    )
