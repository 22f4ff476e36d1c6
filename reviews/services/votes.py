"""Helpful votes: one per shopper (token) and per address (backstop) per review, a new
vote replacing the old; counts and the Wilson score kept on the review in the same
transaction. A constant number of queries whatever the number of votes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from reviews.models import Review, ReviewVote
from reviews.selectors import WILSON_Z
from reviews.shoppers import Shopper


class VoteError(Exception):
    """A vote that is refused; ``status`` is the HTTP answer (403 own review, 404 unknown
    or unapproved review)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


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
    """Record the shopper's vote on an approved review and return its new counts.

    The review's row is locked first: votes on one review (the same shopper's in
    parallel tabs included) take turns, so the replace-then-insert cannot meet a
    concurrent insert of the same shopper (that race answered 500 to 24 of 150
    parallel votes) and the recount sees every committed vote."""
    with transaction.atomic():
        review = (
            Review.objects.select_for_update()
            .filter(pk=review_id, status=Review.Status.APPROVED)
            .only("id", "author_token", "ip_hash")
            .first()
        )
        if review is None:
            raise VoteError("There is no published review with this number.", status=404)
        if review.author_token == shopper.voter or (
            review.ip_hash and review.ip_hash == shopper.ip_hash
        ):
            raise VoteError("You cannot vote on your own review.", status=403)
        try:
            with transaction.atomic():
                ReviewVote.objects.filter(
                    Q(voter=shopper.voter) | Q(ip_hash=shopper.ip_hash), review_id=review_id
                ).delete()
                ReviewVote.objects.create(
                    review_id=review_id,
                    voter=shopper.voter,
                    ip_hash=shopper.ip_hash,
                    is_helpful=is_helpful,
                )
        except IntegrityError:
            pass  # the shopper's vote is already counted (the lock makes this a backstop)
        with connection.cursor() as cursor:
            cursor.execute(_RECOUNT, {"review": review_id, "z": WILSON_Z, "z2": WILSON_Z**2})
            up, down = cursor.fetchone()
    return VoteCounts(helpful=up, not_helpful=down)
