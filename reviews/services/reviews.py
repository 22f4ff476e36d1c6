"""Writing reviews: submission (anonymous or verified through a signed link),
automatic flags and auto-approval, moderation decisions, merchant replies, edits.

Aggregates are never stored: ``reviews.selectors.product_ratings`` computes them from
approved reviews in one query, so they always agree with what is approved. Every
change to what the shop page shows calls ``shop_page_changed()`` (runs on commit).
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.models import Product
from orders.models import OrderLine
from reviews.models import Review, ReviewDecision, ReviewSettings
from reviews.services.photos import (
    photos_clean,
    review_photos_delete_files,
    review_photos_store,
)
from reviews.shoppers import Shopper
from reviews.signals import reviews_approved_send
from shops.page_cache import shop_page_changed

Status = Review.Status
Flag = Review.Flag
LINK = re.compile(
    r"(https?://|www\.|\b[a-z0-9-]+\.(com|net|org|io|ly|shop|store|xyz|ru|info|biz)\b)", re.I
)
BURST_COUNT = 3  # more than this many reviews in REVIEWS_BURST_SECONDS is a burst


class ReviewError(Exception):
    """A review action that cannot be done; the message says why."""


def review_settings_get() -> ReviewSettings:
    return ReviewSettings.objects.get_or_create(key=1)[0]


def body_fingerprint(body: str) -> str:
    """The text without case, spacing or punctuation: equal for copy-pasted reviews."""
    normalised = re.sub(r"[\W_]+", "", body.casefold())
    return hashlib.sha256(normalised.encode()).hexdigest()[:40] if normalised else ""


def review_flags(*, title: str, body: str, fingerprint: str, shopper: Shopper | None) -> list[str]:
    """The automatic flags a new review gets (links, duplicate text, bursts)."""
    flags = []
    if LINK.search(title) or LINK.search(body):
        flags.append(Flag.LINK.value)
    if fingerprint and Review.objects.filter(body_fingerprint=fingerprint).exists():
        flags.append(Flag.DUPLICATE.value)
    if shopper is not None:
        since = timezone.now() - timedelta(seconds=settings.REVIEWS_BURST_SECONDS)
        same_source = Q(author_token=shopper.voter) | Q(network_hash=shopper.network_hash)
        if Review.objects.filter(same_source, created__gte=since).count() >= BURST_COUNT:
            flags.append(Flag.BURST.value)
    return flags


def _auto_status(*, rule: str, flags: list[str], is_verified: bool) -> str:
    AutoApprove = ReviewSettings.AutoApprove
    if flags or rule == AutoApprove.NEVER:
        return Status.PENDING
    if rule == AutoApprove.UNFLAGGED or (rule == AutoApprove.VERIFIED_UNFLAGGED and is_verified):
        return Status.APPROVED
    return Status.PENDING


def _clean_text(value: str, *, max_length: int) -> str:
    # plain text only; templates escape it, this just normalises line endings
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()[:max_length]


@transaction.atomic
def _review_create(
    *,
    product: Product,
    rating: int,
    title: str,
    body: str,
    display_name: str,
    email: str,
    photos: list,
    shopper: Shopper | None,
    order_line: OrderLine | None,
) -> Review:
    errors: dict[str, list[str]] = {}
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = ["Choose a rating from 1 to 5 stars."]
    body = _clean_text(body, max_length=5000)
    if not body:
        errors["body"] = ["Write a few words about the product."]
    display_name = _clean_text(display_name, max_length=60)
    if not display_name:
        errors["display_name"] = ["Tell us the name to show with your review."]
    try:
        cleaned_photos = photos_clean(photos)
    except ValidationError as error:
        errors["photos"] = error.messages
    if errors:
        raise ValidationError(errors)
    title = _clean_text(title, max_length=120)
    fingerprint = body_fingerprint(body)
    flags = review_flags(title=title, body=body, fingerprint=fingerprint, shopper=shopper)
    is_verified = order_line is not None
    status = _auto_status(
        rule=review_settings_get().auto_approve, flags=flags, is_verified=is_verified
    )
    review = Review.objects.create(
        product=product,
        rating=rating,
        title=title,
        body=body,
        display_name=display_name,
        email=(email or "").strip()[:254],
        status=status,
        flags=flags,
        is_verified=is_verified,
        order_line=order_line,
        author_token=shopper.voter if shopper else "",
        ip_hash=shopper.ip_hash if shopper else "",
        network_hash=shopper.network_hash if shopper else "",
        body_fingerprint=fingerprint,
        photo_count=len(cleaned_photos),
    )
    review_photos_store(review=review, photos=cleaned_photos)
    if status == Status.APPROVED:
        ReviewDecision.objects.create(
            review=review, status=status, is_automatic=True, note="Auto-approved by your rule"
        )
        reviews_approved_send(review_ids=[review.pk])
        shop_page_changed()
    return review


def review_submit(
    *,
    product: Product,
    rating: int,
    title: str,
    body: str,
    display_name: str,
    email: str = "",
    photos: list | None = None,
    shopper: Shopper,
) -> Review:
    """An anonymous shopper's review (never verified). A ValidationError maps fields to
    messages; nothing is written then."""
    return _review_create(
        product=product,
        rating=rating,
        title=title,
        body=body,
        display_name=display_name,
        email=email,
        photos=photos or [],
        shopper=shopper,
        order_line=None,
    )


def review_submit_verified(
    *,
    order_line: OrderLine,
    rating: int,
    title: str,
    body: str,
    display_name: str,
    photos: list | None = None,
    shopper: Shopper | None,
) -> Review:
    """A buyer's review through the signed review-request link (see
    ``reviews.services.requests.review_link_line``): the only path to "Verified buyer".
    One review per order line; a second one is a ``ReviewError``."""
    if Review.objects.filter(order_line=order_line).exists():
        raise ReviewError("You have already reviewed this purchase. Thank you!")
    product = Product.objects.filter(pk=order_line.product_id).first()
    if product is None:
        raise ReviewError("This product is no longer sold here.")
    return _review_create(
        product=product,
        rating=rating,
        title=title,
        body=body,
        display_name=display_name,
        email=order_line.order.email,
        photos=photos or [],
        shopper=shopper,
        order_line=order_line,
    )


@transaction.atomic
def review_moderate(
    *, reviews: QuerySet[Review], status: str, decided_by=None, note: str = ""
) -> int:
    """Move reviews to ``status`` (approve, reject, spam), recording who and when, in one
    transaction with the change (the aggregates follow at once: they are computed from
    approved reviews). Reviews already in that status are left alone. Returns how many
    changed."""
    if status not in Status.values:
        raise ReviewError(f"Unknown status {status!r}.")
    rows = list(
        Review.objects.select_for_update()
        .filter(pk__in=reviews.values("pk"))
        .exclude(status=status)
        .only("id", "status")
    )
    if not rows:
        return 0
    ids = sorted(row.id for row in rows)
    Review.objects.filter(id__in=ids).update(status=status)
    ReviewDecision.objects.bulk_create(
        ReviewDecision(review_id=review_id, status=status, decided_by=decided_by, note=note[:255])
        for review_id in ids
    )
    if status == Status.APPROVED:
        # only the reviews that moved: approving an approved review sends nothing again
        reviews_approved_send(review_ids=ids)
    if status == Status.APPROVED or any(row.status == Status.APPROVED for row in rows):
        shop_page_changed()
    return len(ids)


@transaction.atomic
def review_edit(
    *, review: Review, title: str, body: str, rating: int | None = None, edited_by=None
) -> Review:
    """Change a review's text (and its rating, only before approval). Changed text of an
    approved review goes back to moderation."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if rating is not None and rating != review.rating:
        if review.status == Status.APPROVED:
            raise ReviewError("The rating of an approved review cannot be changed.")
        if not 1 <= rating <= 5:
            raise ReviewError("Choose a rating from 1 to 5 stars.")
        review.rating = rating
    title, body = _clean_text(title, max_length=120), _clean_text(body, max_length=5000)
    if not body:
        raise ReviewError("A review needs some text.")
    text_changed = (title, body) != (review.title, review.body)
    review.title, review.body = title, body
    review.body_fingerprint = body_fingerprint(body)
    was_approved = review.status == Status.APPROVED
    if text_changed and was_approved:
        review.status = Status.PENDING
        ReviewDecision.objects.create(
            review=review, status=Status.PENDING, decided_by=edited_by, note="Text edited"
        )
        shop_page_changed()
    review.save()
    return review


@transaction.atomic
def review_reply(*, review: Review, reply: str) -> Review:
    """The merchant's public answer (empty removes it)."""
    review.reply = _clean_text(reply, max_length=5000)
    review.replied_at = timezone.now() if review.reply else None
    review.save(update_fields=["reply", "replied_at"])
    if review.status == Status.APPROVED:
        shop_page_changed()
    return review


@transaction.atomic
def review_delete(*, review: Review) -> None:
    review_photos_delete_files(list(review.photos.all()))
    if review.status == Status.APPROVED:
        shop_page_changed()
    review.delete()
