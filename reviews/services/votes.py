"""Helpful votes: one per shopper per review (their token; their address only when they
have no token), a new vote replacing the old; counts and the Wilson score kept on the
review in the same transaction. A constant number of queries whatever the number of
votes. Shoppers sharing an address each vote: abuse is held by the rate limits."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from reviews.models import Review, ReviewVote
from reviews.selectors import WILSON_Z
from reviews.shoppers import Shopper


class VoteError(Exception):
    """A vote that is refused; ``status`` is the HTTP answer (403 own review, 404 unknown
    or unapproved review) and ``code`` a stable name for it."""

    def __init__(self, message: str, *, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class VoteCounts:
    helpful: int
    not_helpful: int


# The Wilson lower bound of up / (up + down), computed where the counts are (see
# reviews.selectors.wilson_lower_bound for the same formula in Python).
_RECOUNT = """
WITH counts AS (
    SELECT count(*) FILTER (WHERE is_helpful) AS up,
           count(*) FILTER (WHERE NOT is_helpful) AS down,
           count(*)::float8 AS n,
           (count(*) FILTER (WHERE is_helpful))::float8 / greatest(count(*), 1) AS p
    FROM reviews_reviewvote WHERE review_id = %(review)s
)
UPDATE reviews_review SET
    helpful_up = counts.up,
    helpful_down = counts.down,
    helpful_score = CASE WHEN counts.n = 0 THEN 0 ELSE
        (counts.p + %(z2)s / (2 * counts.n)
         - %(z)s * sqrt(counts.p * (1 - counts.p) / counts.n + %(z2)s / (4 * counts.n * counts.n)))
        / (1 + %(z2)s / counts.n) END
FROM counts WHERE reviews_review.id = %(review)s
RETURNING helpful_up, helpful_down
"""


def review_vote(*, review_id: int, shopper: Shopper, is_helpful: bool) -> VoteCounts:
    """Record the shopper's vote on an approved review and return its new counts."""
    review = (
        Review.objects.filter(pk=review_id, status=Review.Status.APPROVED)
        .only("id", "author_token", "ip_hash")
        .first()
    )
    if review is None:
        raise VoteError(
            "There is no published review with this number.", status=404, code="unknown_review"
        )
    if review.author_token == shopper.voter or (
        shopper.is_address and review.ip_hash and review.ip_hash == shopper.ip_hash
    ):  # without a token of their own, a shopper is their address
        raise VoteError("You cannot vote on your own review.", status=403, code="own_review")
    with transaction.atomic():
        # one statement (insert or replace), so a concurrent vote by the same shopper
        # waits for this one and then replaces it
        ReviewVote.objects.bulk_create(
            [
                ReviewVote(
                    review_id=review_id,
                    voter=shopper.voter,
                    ip_hash=shopper.ip_hash,
                    is_helpful=is_helpful,
                )
            ],
            update_conflicts=True,
            unique_fields=["review", "voter"],
            update_fields=["is_helpful", "ip_hash", "updated"],
        )
        with connection.cursor() as cursor:
            cursor.execute(_RECOUNT, {"review": review_id, "z": WILSON_Z, "z2": WILSON_Z**2})
            up, down = cursor.fetchone()
    return VoteCounts(helpful=up, not_helpful=down)
