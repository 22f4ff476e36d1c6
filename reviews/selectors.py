"""Reads of reviews and polls, each in a constant number of queries.

- ``product_ratings``: average, count and star distribution of approved reviews, for
  any number of products in one query (product page, JSON-LD, channel feeds).
- ``product_reviews_page``: one page of a product's approved reviews, sorted and
  filtered, with photos (two queries).
- ``products_with_ratings``: a product queryset annotated with its ratings (no query of
  its own: product cards on the shop page).
- ``reviews_for_wall``, ``poll_view``: one query each (shop page sections).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    FloatField,
    IntegerField,
    JSONField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

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


def products_with_ratings(products: QuerySet[Product]) -> QuerySet[Product]:
    """``products`` annotated with their approved reviews' ``rating_count`` (0 without
    any) and ``rating_average`` (None without any): two subqueries of the products'
    query, no query of their own. ``rating_of`` reads them as a ``Rating``."""
    approved = (
        Review.objects.filter(product=OuterRef("pk"), status=APPROVED).order_by().values("product")
    )
    return products.annotate(
        rating_count=Coalesce(Subquery(approved.annotate(count=Count("id")).values("count")), 0),
        rating_average=Subquery(
            approved.annotate(average=Avg("rating")).values("average"), output_field=FloatField()
        ),
    )


def rating_of(product: Product) -> Rating:
    """The rating of a product read through ``products_with_ratings`` (count and average,
    without the distribution)."""
    average = product.rating_average
    return Rating(count=product.rating_count, average=None if average is None else float(average))


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


def reviews_for_wall(*, limit: int, min_rating: int) -> list[Review]:
    """The approved reviews rated ``min_rating`` or more, those with photos first, then
    the newest, each with its product and its first photo (``wall_photo_renditions``,
    ``wall_photo_width``, ``wall_photo_height``) in one query, for the reviews wall."""
    first_photo = ReviewPhoto.objects.filter(review=OuterRef("pk")).order_by("position", "id")
    reviews = (
        Review.objects.filter(status=APPROVED, rating__gte=min_rating)
        .select_related("product")
        .defer("product__description")  # the wall links to the product: no description
        .annotate(
            wall_photo_renditions=Subquery(
                first_photo.values("renditions")[:1], output_field=JSONField()
            ),
            wall_photo_width=Subquery(first_photo.values("width")[:1]),
            wall_photo_height=Subquery(first_photo.values("height")[:1]),
        )
        .order_by("-photo_count", "-created", "-id")
    )
    return list(reviews[:limit])


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


def poll_view(*, poll_id: int | None) -> PollView | None:
    """The poll (or, with None, the latest one that has opened) with its options (their
    vote counts) and their products, in one query; None when there is no such poll (or
    it has no options)."""
    if poll_id is None:
        latest = Poll.objects.filter(opens_at__lte=timezone.now()).order_by("-opens_at", "-id")
        chosen = Q(poll_id=Subquery(latest.values("id")[:1]))
    else:
        chosen = Q(poll_id=poll_id)
    options = list(
        PollOption.objects.filter(chosen)
        .select_related("poll", "product")
        .defer("product__description")  # an option links to its product: no description
        .order_by("position", "id")
    )
    return PollView(poll=options[0].poll, options=options) if options else None


def poll_voted_option(*, poll_id: int, voter: str) -> int | None:
    """The option this shopper voted for, if their vote counts (is confirmed)."""
    return (
        PollVote.objects.filter(voter=voter, poll_id=poll_id, confirmed_at__isnull=False)
        .values_list("option_id", flat=True)
        .first()
    )


def poll_vote_waiting(*, poll_id: int, voter: str) -> bool:
    """Whether this shopper's vote waits for its email confirmation."""
    return PollVote.objects.filter(voter=voter, poll_id=poll_id, confirmed_at__isnull=True).exists()
