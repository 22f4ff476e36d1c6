"""The shoppable posts' click-through beacon: ``POST /api/v1/post-events/``, sent by
``static/posts/posts.js`` with ``navigator.sendBeacon`` (a ``text/plain`` body, no
cookie) and never waited for."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from shops.api.base import ShopperView
from shops.api.parsers import BeaconJSONParser, LimitedJSONParser
from shops.api.posts import serializers as s
from shops.api.throttling import ClientAddressThrottle
from shops.posts import services


class PostEventsView(ShopperView):
    """Impressions and tag clicks of shoppable posts, counted per post and day in one
    statement. `text/plain` is JSON too: it is what `navigator.sendBeacon` sends."""

    parser_classes = [LimitedJSONParser, BeaconJSONParser]
    throttle_classes = [ClientAddressThrottle]
    rate_scope = "post_events"
    rate_setting = "POSTS_RATE_EVENTS"
    max_body_bytes = 8 * 1024

    @extend_schema(
        operation_id="post_events",
        summary="Count a page view's post impressions and tag clicks",
        request={
            "application/json": s.PostEventsSerializer,
            "text/plain": s.PostEventsSerializer,
        },
        responses={
            204: OpenApiResponse(description="Counted (unknown posts dropped)."),
            429: OpenApiResponse(
                description="Too many beacons from this address (POSTS_RATE_EVENTS); retry after "
                "`Retry-After` seconds. Nothing was counted."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.validated_input(s.PostEventsSerializer).validated_data
        services.post_events_record(
            events=(
                (event.get("post"), event.get("kind"))
                for event in data["events"]
                if isinstance(event, dict)
            )
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
