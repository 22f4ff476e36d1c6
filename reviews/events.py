"""Review events for the partner webhooks (shops.webhooks): ``review.approved``, sent
once per move to approved (by the merchant in the admin or the API, or by the shop's
auto-approval rule), in the transaction of that move."""

from __future__ import annotations

from collections.abc import Iterable

from reviews.models import Review
from shops.webhooks.models import EventType
from shops.webhooks.services import webhook_events_emit


def review_event_data(review: Review) -> dict:
    """The review as an event carries it (the shopper's email stays out)."""
    return {
        "review": {
            "id": review.pk,
            "product_id": review.product_id,
            "rating": review.rating,
            "title": review.title,
            "body": review.body,
            "display_name": review.display_name,
            "is_verified": review.is_verified,
            "photo_count": review.photo_count,
            "status": review.status,
            "created": review.created,
        }
    }


def reviews_approved_emit(*, review_ids: Iterable[int]) -> None:
    """Emit ``review.approved`` for each review (in the caller's transaction): one
    query to read them, plus the webhooks' fixed few when anyone subscribes."""
    ids = sorted(review_ids)
    if not ids:
        return
    reviews = Review.objects.filter(pk__in=ids).order_by("pk")
    webhook_events_emit(
        events=[(EventType.REVIEW_APPROVED, review_event_data(review)) for review in reviews]
    )
