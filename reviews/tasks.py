"""Review work on the Celery worker, in the schema of the shop that queued it."""

from __future__ import annotations

from celery import shared_task

from reviews import services


@shared_task(
    name="reviews.review_requests_send_due",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def review_requests_send_due() -> int:
    """Email buyers whose review requests are due (beat, every shop through
    ``shops.for_each_shop``)."""
    return services.review_requests_send_due()


@shared_task(
    name="reviews.poll_launch_notify",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def poll_launch_notify(poll_id: int) -> int:
    """Email "notify me" subscribers of a poll's options whose product is on sale."""
    return services.poll_launch_notify(poll_id=poll_id)


@shared_task(
    name="reviews.poll_vote_confirm_send",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def poll_vote_confirm_send(vote_id: int, email: str) -> bool:
    """Email the link that confirms a poll vote waiting for it."""
    return services.poll_vote_confirm_send(vote_id=vote_id, email=email)
