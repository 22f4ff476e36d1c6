"""Shoppers' votes without cookies (``static/reviews/reviews.js``): a shopper token of
their own, a helpful vote on a review, a vote in a poll. The shopper is their token
(``X-Shopper-Token``), or their address without one (``reviews.shoppers``); each vote
counts once per shopper, and votes and new tokens are rate-limited per shopper and per
network. Plain HTML forms vote at ``/reviews/<id>/vote/`` and ``/polls/<id>/``
(``shops.storefront.review_pages``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from reviews import selectors
from reviews.services import PollError, VoteError, poll_vote, review_vote
from reviews.shoppers import shopper_token_new
from shops.api.authentication import ShopperTokenAuthentication
from shops.api.base import ShopperView
from shops.api.errors import refusal
from shops.api.reviews import serializers as s
from shops.api.throttling import ShopperActionThrottle
from shops.insights.services import shopper_action_record

TOO_MANY = OpenApiResponse(
    description="Too many votes from this shopper or network (REVIEWS_RATE_LIMITS); retry "
    "after `Retry-After` seconds."
)


def _refused(error: VoteError | PollError) -> exceptions.APIException:
    field = error.field if isinstance(error, PollError) else None
    return refusal(str(error), status_code=error.status, code=error.code, field=field)


class ShopperVoteView(ShopperView):
    """A vote: the shopper from its token, limited per shopper and network."""

    authentication_classes = [ShopperTokenAuthentication]
    throttle_classes = [ShopperActionThrottle]
    shopper_action = "vote"
    max_body_bytes = 4 * 1024


class ShopperTokenView(ShopperView):
    """A signed token for a browser that has none yet, asked for by the page before its
    first vote, so that each shopper votes as themselves, not as their address (a
    household, an office, a carrier's NAT share one). Counted per address and network;
    a token sent with the request is ignored."""

    throttle_classes = [ShopperActionThrottle]
    shopper_action = "token"
    reads_body = False

    @extend_schema(
        operation_id="shopper_token",
        summary="A new shopper token",
        request=None,
        responses={
            200: s.ShopperTokenSerializer,
            429: OpenApiResponse(
                description="Too many new tokens for this address or network "
                "(REVIEWS_RATE_TOKEN_*); retry after `Retry-After` seconds."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        return Response({"token": shopper_token_new()}, headers={"Cache-Control": "no-store"})


class ReviewVoteView(ShopperVoteView):
    """One vote per shopper and review: a new vote replaces the shopper's old one."""

    @extend_schema(
        operation_id="review_vote",
        summary="Vote whether a review was helpful",
        parameters=[OpenApiParameter("review_id", int, OpenApiParameter.PATH)],
        request=s.ReviewVoteInputSerializer,
        responses={
            200: s.ReviewVoteAnswerSerializer,
            403: OpenApiResponse(description="A vote on one's own review (`own_review`)."),
            404: OpenApiResponse(
                description="No published review with this id (`unknown_review`)."
            ),
            429: TOO_MANY,
        },
    )
    def post(self, request: Request, review_id: int) -> Response:
        data = self.validated_input(s.ReviewVoteInputSerializer).validated_data
        shopper = request.auth
        try:
            counts = review_vote(review_id=review_id, shopper=shopper, is_helpful=data["helpful"])
        except VoteError as error:
            raise _refused(error) from None
        return Response(
            {"helpful": counts.helpful, "not_helpful": counts.not_helpful, "token": shopper.token}
        )


class PollVoteView(ShopperVoteView):
    """One vote per shopper and poll; the answer has the results with it. A poll that
    counts a vote once confirmed by email needs ``email``: the vote waits, and the
    storefront's confirmation link (``reviews.services.poll_vote``) is emailed."""

    @extend_schema(
        operation_id="poll_vote",
        summary="Vote in a poll",
        parameters=[OpenApiParameter("poll_id", int, OpenApiParameter.PATH)],
        request=s.PollVoteInputSerializer,
        responses={
            200: s.PollVoteAnswerSerializer,
            400: OpenApiResponse(
                description="`email` missing in a poll that counts a vote once confirmed by "
                "email (`email_required`), or not an email address (`invalid_email`; "
                "`notify_email` too)."
            ),
            404: OpenApiResponse(description="No such option in this poll (`unknown_option`)."),
            409: OpenApiResponse(
                description="The poll is not open yet (`poll_not_open`) or closed (`poll_closed`), "
                "or this shopper voted already (`already_voted`)."
            ),
            429: TOO_MANY,
        },
    )
    def post(self, request: Request, poll_id: int) -> Response:
        data = self.validated_input(s.PollVoteInputSerializer).validated_data
        shopper = request.auth
        try:
            poll_vote(
                poll_id=poll_id,
                option_id=data["option"],
                shopper=shopper,
                notify_email=data["notify_email"],
                email=data["email"],
                marketing_consent=data["marketing_consent"],
            )
        except PollError as error:
            raise _refused(error) from None
        shopper_action_record(request, action="vote", poll_id=poll_id)
        poll = selectors.poll_view(poll_id=poll_id)  # the counts with this vote
        voted = selectors.poll_voted_option(poll_id=poll_id, voter=shopper.voter)
        return Response(
            {
                "voted": voted,
                "waiting_confirmation": voted is None
                and selectors.poll_vote_waiting(poll_id=poll_id, voter=shopper.voter),
                "token": shopper.token,
                "results": [
                    {"option": option.pk, "votes": option.vote_count, "percent": percent}
                    for option, percent in poll.results
                ],
            }
        )
