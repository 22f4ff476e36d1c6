"""What the reviews app holds about one shopper (by email), and taking the person out of
it, for the shopper's export and erasure (``shops.privacy``).

- **Reviews** carry the email the shopper gave: erasure removes them (with their
  photos) or, as the shopper chooses, anonymises them (author "A shopper", the email and
  the hashes that tie them to a device or network cleared, the photos deleted: a
  picture can show the person or their home); rating and text stay.
- **Poll votes** of a poll that asks voters to confirm by email keep a keyed hash of the
  address: it is cleared, the vote stays counted.
- **Votes by the review's author**: a review keeps its author's shopper id (the random
  token their browser held, ``author_token``), and their helpful and poll votes are keyed
  by the same id, so those are the email's too (exported). Erasure clears the review's
  ``author_token`` (or removes the review): the votes stay counted, tied to no email.
  An author known only by their address (``ip:…``) is not followed: others share it.
- **"Tell me when it launches"** requests hold the email: deleted.
"""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.db.models import Q, QuerySet

from reviews.models import PollNotification, PollVote, Review, ReviewPhoto, ReviewVote
from reviews.services.photos import review_photos_delete_files
from reviews.shoppers import ADDRESS_PREFIX, email_hash
from shops.media import file_url_function
from shops.page_cache import shop_page_changed

ANONYMOUS_AUTHOR = "A shopper"
ReviewsErasure = Literal["remove", "anonymise"]


def _normalised(email: str) -> str:
    return email.strip().lower()


def _author_ids(email: str) -> QuerySet:
    """The shopper ids the reviews of ``email`` were written with (tokens, not addresses)."""
    return (
        Review.objects.filter(email__iexact=email)
        .exclude(author_token="")
        .exclude(author_token__startswith=ADDRESS_PREFIX)
        .values("author_token")
    )


def _poll_votes(email: str) -> QuerySet[PollVote]:
    return PollVote.objects.filter(
        Q(email_hash=email_hash(email)) | Q(voter__in=_author_ids(email))
    )


def reviews_personal_data(email: str) -> dict[str, Any]:
    """The reviews (with links to their photos), confirmed-by-email poll votes and launch
    notifications of ``email`` (any case). A fixed number of queries."""
    email = _normalised(email)
    url = file_url_function()
    reviews = (
        Review.objects.filter(email__iexact=email)
        .select_related("product")
        .prefetch_related("photos")
        .order_by("created", "id")
    )
    votes = _poll_votes(email).select_related("poll", "option").order_by("created", "id")
    helpful = (
        ReviewVote.objects.filter(voter__in=_author_ids(email))
        .select_related("review__product")
        .order_by("created", "id")
    )
    notifications = (
        PollNotification.objects.filter(email__iexact=email)
        .select_related("option__poll")
        .order_by("created", "id")
    )
    return {
        "reviews": [
            {
                "product": review.product.title,
                "rating": review.rating,
                "title": review.title,
                "body": review.body,
                "author": review.display_name,
                "email": review.email,
                "status": review.get_status_display(),
                "verified_buyer": review.is_verified,
                "created": review.created.isoformat(),
                "merchant_reply": review.reply,
                "photos": [url(photo.image.name) for photo in review.photos.all()],
            }
            for review in reviews
        ],
        "poll_votes": [
            {
                "poll": vote.poll.question,
                "answer": vote.option.text,
                "created": vote.created.isoformat(),
                "confirmed_at": vote.confirmed_at.isoformat() if vote.confirmed_at else None,
            }
            for vote in votes
        ],
        "helpful_votes": [
            {
                "review_of": vote.review.product.title,
                "review_by": vote.review.display_name,
                "is_helpful": vote.is_helpful,
                "created": vote.created.isoformat(),
            }
            for vote in helpful
        ],
        "poll_notifications": [
            {
                "poll": notification.option.poll.question,
                "option": notification.option.text,
                "email": notification.email,
                "created": notification.created.isoformat(),
                "notified_at": (
                    notification.notified_at.isoformat() if notification.notified_at else None
                ),
            }
            for notification in notifications
        ],
    }


def reviews_personal_counts(email: str) -> dict[str, int]:
    email = _normalised(email)
    return {
        "reviews": Review.objects.filter(email__iexact=email).count(),
        "poll_votes": _poll_votes(email).count(),
        "helpful_votes": ReviewVote.objects.filter(voter__in=_author_ids(email)).count(),
        "poll_notifications": PollNotification.objects.filter(email__iexact=email).count(),
    }


@transaction.atomic
def reviews_erase(email: str, *, reviews: ReviewsErasure) -> dict[str, int]:
    """Take ``email`` (any case) out of the reviews app (see the module's docstring),
    removing or anonymising its reviews as ``reviews`` says. Photo files are deleted
    once the transaction commits. Returns what was done, by kind."""
    if reviews not in ("remove", "anonymise"):
        raise ValueError(f"reviews is 'remove' or 'anonymise', not {reviews!r}")
    email = _normalised(email)
    # the votes tied to the email, counted before the reviews that tie them change
    votes = _poll_votes(email).count()
    votes += ReviewVote.objects.filter(voter__in=_author_ids(email)).count()
    PollVote.objects.filter(email_hash=email_hash(email)).update(email_hash="")
    own = Review.objects.filter(email__iexact=email)
    was_shown = own.filter(status=Review.Status.APPROVED).exists()
    photos = list(ReviewPhoto.objects.filter(review__in=own))
    review_photos_delete_files(photos)
    ids = list(own.values_list("pk", flat=True))
    if reviews == "remove":
        Review.objects.filter(pk__in=ids).delete()
    else:
        ReviewPhoto.objects.filter(review_id__in=ids).delete()
        Review.objects.filter(pk__in=ids).update(
            display_name=ANONYMOUS_AUTHOR,
            email="",
            author_token="",
            ip_hash="",
            network_hash="",
            photo_count=0,
        )
    if was_shown:
        shop_page_changed()
    notifications, _ = PollNotification.objects.filter(email__iexact=email).delete()
    return {
        "reviews_removed" if reviews == "remove" else "reviews_anonymised": len(ids),
        "photos_deleted": len(photos),
        "votes_untied": votes,
        "poll_notifications_deleted": notifications,
    }
