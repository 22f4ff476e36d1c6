"""Sales channels in the partner API (scope channels:read): the shop's connections with
their sync status and item counts, and each item's verdict from the platform. Read only;
the connections are managed in the admin."""

from __future__ import annotations

from django.db.models import CharField, Count, Q, QuerySet, Value
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.exceptions import NotFound

from shops.api.base import ApiViewSet
from shops.api.channels import serializers as s
from shops.api.filters import ApiOrderingFilter, QueryFiltersMixin
from shops.api.models import Scope
from shops.channels.models import Channel, ChannelItem, Connection

State = ChannelItem.State
CHANNEL_PARAMETER = OpenApiParameter(
    "channel", str, OpenApiParameter.PATH, enum=Channel.values, description="The platform."
)


class ChannelsViewSet(ApiViewSet):
    read_scope = write_scope = Scope.CHANNELS_READ
    http_method_names = ["get", "head", "options"]


@extend_schema(tags=["channels"])
@extend_schema_view(retrieve=extend_schema(parameters=[CHANNEL_PARAMETER]))
class ConnectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ChannelsViewSet):
    """The shop's connections to Meta, Pinterest, Google and TikTok: enabled, status (and
    the last error), what is sent, the last sync, and how many items are live, pending or
    rejected."""

    model = Connection
    serializer_class = s.ConnectionSerializer
    lookup_field = "channel"
    filter_backends = [ApiOrderingFilter]
    ordering_fields = ["id"]
    ordering = ["id"]

    def scoped_queryset(self) -> QuerySet:
        return Connection.objects.defer("credentials_encrypted", "feed_token").annotate(
            items_live=Count("items", filter=Q(items__state__in=[State.LIVE, State.WARNING])),
            items_pending=Count("items", filter=Q(items__state=State.PENDING)),
            items_rejected=Count("items", filter=Q(items__state=State.REJECTED)),
        )


@extend_schema(tags=["channels"], parameters=[CHANNEL_PARAMETER])
@extend_schema_view(list=extend_schema(parameters=[s.ChannelItemFilterSerializer]))
class ChannelItemViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, QueryFiltersMixin, ChannelsViewSet
):
    """Each variant as the platform knows it (``retailer_id``): its state and the
    platform's last message. An unknown or unconnected channel is a 404."""

    model = ChannelItem
    serializer_class = s.ChannelItemSerializer
    filter_backends = [ApiOrderingFilter]
    ordering_fields = ["id", "product_id", "sent_at"]
    ordering = ["id"]

    filter_serializer = s.ChannelItemFilterSerializer
    filter_lookups = {
        "state": "state",
        "product": "product_id",
        "message": "message__icontains",
    }

    def scoped_queryset(self) -> QuerySet:
        channel = self.kwargs.get("channel")
        connection = Connection.objects.filter(channel=channel).only("id", "channel").first()
        if connection is None:
            raise NotFound(f"This shop has no {channel} connection.")
        # the connection is known: its channel is a constant, not a join per row
        items = (
            ChannelItem.objects.filter(connection=connection)
            .defer("sent")
            .annotate(channel=Value(connection.channel, output_field=CharField()))
        )
        return self.filtered(items)
