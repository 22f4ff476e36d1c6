"""Reads of shoppable posts, each in a fixed number of queries.

Shoppers see published posts whose publish time has come, and only the tags of active
products; the admin sees every tag, with the ones shoppers cannot see flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Min, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Product, Variant
from shops.currencies import minor_units
from shops.posts.models import (
    Post,
    PostDailyStats,
    PostImage,
    PostOrderAttribution,
    PostTag,
)
from shops.posts.services.click_through import ATTRIBUTION_WINDOW

# a refunded order earned nothing
PAID_STATUSES = ("paid", "partially_fulfilled", "fulfilled", "partially_refunded")


def _shopper_tags() -> QuerySet[PostTag]:
    """Tags of active products, with the product, its lowest price and
    ``variant_count`` / ``first_variant_id`` (what Add to bag puts in the bag when the
    tag names no variant: the product's only one) (one query)."""
    return (
        PostTag.objects.filter(product__status=Product.Status.ACTIVE)
        .select_related("product")
        .defer("product__description")
        .annotate(
            price_low=Min("product__variants__price"),
            variant_count=Count("product__variants"),
            first_variant_id=Min("product__variants__id"),
        )
        .order_by("image_id", "id")
    )


def _shopper_posts() -> QuerySet[Post]:
    return (
        Post.objects.filter(status=Post.Status.PUBLISHED, published_at__lte=timezone.now())
        .select_related("consent")
        .order_by("-published_at", "-id")
        .prefetch_related(
            Prefetch(
                "images",
                queryset=PostImage.objects.order_by("position", "id").prefetch_related(
                    Prefetch("tags", queryset=_shopper_tags(), to_attr="shown_tags")
                ),
                to_attr="shown_images",
            )
        )
    )


def posts_for_gallery(*, limit: int) -> list[Post]:
    """The latest ``limit`` posts shoppers may see, each with ``shown_images`` and each
    picture with ``shown_tags`` (tags of active products, with ``product`` and its
    ``price_low``), as the post page reads them: three queries (posts, pictures, tags)
    whatever the number of posts and tags."""
    return list(_shopper_posts()[:limit])


def post_for_page(*, post_id: int) -> Post:
    """One post shoppers may see (three queries); raises ``Post.DoesNotExist`` for a
    draft, a post not yet due or an unknown id."""
    return _shopper_posts().get(pk=post_id)


def admin_tags(image: PostImage) -> list[dict]:
    """The editor's view of a picture's tags: every tag, flagged when shoppers cannot see
    it (its product archived, still a draft or deleted)."""
    tags = []
    for tag in image.tags.select_related("product").order_by("id"):
        product = tag.product
        if product is None:
            problem = "product deleted"
        elif product.status != Product.Status.ACTIVE:
            problem = f"product {product.get_status_display().lower()}"
        else:
            problem = ""
        tags.append(
            {
                "product_id": tag.product_id,
                "variant_id": tag.variant_id,
                "title": product.title if product else tag.product_title,
                "x": tag.x,
                "y": tag.y,
                "problem": problem,
            }
        )
    return tags


def tag_editor_products() -> list[dict]:
    """What the tag editor offers: every product (title, status) with its variants
    (id and options) when it has more than one. Two queries."""
    variants: dict[int, list[dict]] = {}
    for variant in Variant.objects.order_by("product_id", "position", "id"):
        label = " / ".join(variant.options) or variant.sku
        variants.setdefault(variant.product_id, []).append({"id": variant.id, "title": label})
    return [
        {
            "id": pk,
            "title": title,
            "status": status,
            "variants": variants.get(pk, []) if len(variants.get(pk, [])) > 1 else [],
        }
        for pk, title, status in Product.objects.order_by("title", "id").values_list(
            "id", "title", "status"
        )
    ]


def hidden_tag_count() -> Q:
    """Filter (for ``Count("images__tags", filter=…)``) of tags shoppers cannot see."""
    return Q(images__tags__product__isnull=True) | ~Q(
        images__tags__product__status=Product.Status.ACTIVE
    )


@dataclass(frozen=True)
class PostStats:
    """Click-through of a post: counters summed over days, and paid attributed orders."""

    impressions: int
    tag_clicks: int
    orders: int
    revenue_minor: int

    @property
    def click_through_rate(self) -> float | None:
        """Tag clicks per impression, or None before the first impression."""
        return self.tag_clicks / self.impressions if self.impressions else None

    def revenue(self, currency: str) -> Decimal:
        return Decimal(self.revenue_minor).scaleb(-minor_units(currency))


def post_stats(*, post_ids: list[int], since: date | None = None) -> dict[int, PostStats]:
    """Impressions, tag clicks, paid attributed orders and their revenue (what was paid
    less refunds; paid within ``ATTRIBUTION_WINDOW`` of the tag click) per post, from
    ``since`` on (every day by default). Two queries."""
    counters = PostDailyStats.objects.filter(post_id__in=post_ids)
    attributions = PostOrderAttribution.objects.filter(
        post_id__in=post_ids,
        order__status__in=PAID_STATUSES,
        order__paid_at__lte=F("created") + ATTRIBUTION_WINDOW,
    )
    if since is not None:
        counters = counters.filter(day__gte=since)
        attributions = attributions.filter(order__paid_at__date__gte=since)
    views = {
        row["post_id"]: row
        for row in counters.values("post_id").annotate(
            impressions_sum=Sum("impressions"), clicks_sum=Sum("tag_clicks")
        )
    }
    sales = {
        row["post_id"]: row
        for row in attributions.values("post_id").annotate(
            orders=Count("id"),
            revenue=Coalesce(Sum(F("order__amount_minor") - F("order__refunded_minor")), 0),
        )
    }
    return {
        post_id: PostStats(
            impressions=int(views.get(post_id, {}).get("impressions_sum") or 0),
            tag_clicks=int(views.get(post_id, {}).get("clicks_sum") or 0),
            orders=int(sales.get(post_id, {}).get("orders") or 0),
            revenue_minor=int(sales.get(post_id, {}).get("revenue") or 0),
        )
        for post_id in post_ids
    }


def post_daily_stats(*, post: Post, days: int = 30) -> list[PostDailyStats]:
    """The post's counter rows of the last ``days`` days, newest first."""
    since = timezone.localdate() - timedelta(days=days - 1)
    return list(PostDailyStats.objects.filter(post=post, day__gte=since).order_by("-day"))
