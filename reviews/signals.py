"""What happens to reviews, told to the apps above reviews (shops.webhooks), which
reviews never imports: they connect to these signals in their ``AppConfig.ready()``.
Plain Django signals, sent with ``sender=Review`` synchronously inside the transaction of
the change, so what a receiver writes commits or rolls back with it."""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

from reviews.models import Review

# Reviews moved to approved (by the merchant in the admin or the API, or by the shop's
# auto-approval rule), once per move. Sends ``review_ids``: their ids, ascending.
reviews_approved = Signal()


def reviews_approved_send(*, review_ids: Iterable[int]) -> None:
    """Send ``reviews_approved`` for these reviews (none: nothing is sent)."""
    ids = sorted(review_ids)
    if ids:
        reviews_approved.send(sender=Review, review_ids=ids)
