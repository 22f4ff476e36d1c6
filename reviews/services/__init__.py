"""Writes of the reviews app, by topic: reviews (submission, moderation), photos, votes,
review requests, polls."""

from reviews.services.polls import (
    PollError,
    PollOptionInput,
    poll_close,
    poll_create,
    poll_is_open,
    poll_launch_notify,
    poll_launch_notify_on_commit,
    poll_option_image_set,
    poll_vote,
)
from reviews.services.requests import (
    ReviewLinkError,
    review_link_line,
    review_link_token,
    review_requests_schedule,
    review_requests_send_due,
)
from reviews.services.reviews import (
    ReviewError,
    review_delete,
    review_edit,
    review_moderate,
    review_reply,
    review_settings_get,
    review_submit,
    review_submit_verified,
)
from reviews.services.votes import VoteCounts, VoteError, review_vote

__all__ = [
    "PollError",
    "PollOptionInput",
    "ReviewError",
    "ReviewLinkError",
    "VoteCounts",
    "VoteError",
    "poll_close",
    "poll_create",
    "poll_is_open",
    "poll_launch_notify",
    "poll_launch_notify_on_commit",
    "poll_option_image_set",
    "poll_vote",
    "review_delete",
    "review_edit",
    "review_link_line",
    "review_link_token",
    "review_moderate",
    "review_reply",
    "review_requests_schedule",
    "review_requests_send_due",
    "review_settings_get",
    "review_submit",
    "review_submit_verified",
    "review_vote",
]
