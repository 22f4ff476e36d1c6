"""Shapes of the channels API (read only). A connection never shows its credentials nor
its feed token: the API is for sync status, not for taking over the connection."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shops.channels.models import Channel, ChannelItem, Connection


class ItemCountsSerializer(serializers.Serializer):
    live = serializers.IntegerField(help_text="Live, with or without warnings.")
    pending = serializers.IntegerField()
    rejected = serializers.IntegerField()


class ConnectionSerializer(serializers.ModelSerializer):
    collection_id = serializers.IntegerField(allow_null=True, read_only=True)
    items = serializers.SerializerMethodField()

    class Meta:
        model = Connection
        fields = [
            "channel",
            "is_enabled",
            "is_feed_only",
            "status",
            "last_error",
            "external_id",
            "country",
            "language",
            "selection",
            "collection_id",
            "tag",
            "items",
            "last_sync_at",
            "last_reconcile_at",
            "created",
            "updated",
        ]
        read_only_fields = fields

    @extend_schema_field(ItemCountsSerializer)
    def get_items(self, connection: Connection) -> dict[str, int]:
        # annotated by the viewset's query (one query per page)
        return {
            "live": connection.items_live,
            "pending": connection.items_pending,
            "rejected": connection.items_rejected,
        }


class ChannelItemSerializer(serializers.ModelSerializer):
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    message = serializers.CharField(
        read_only=True, help_text="What the platform said last (errors, warnings), as given."
    )

    class Meta:
        model = ChannelItem
        fields = [
            "id",
            "channel",
            "retailer_id",
            "product_id",
            "variant_id",
            "state",
            "message",
            "sent_at",
        ]
        read_only_fields = fields


class ChannelItemFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ChannelItem.State.choices, required=False)
    product = serializers.IntegerField(min_value=1, required=False, help_text="A product id.")
    message = serializers.CharField(
        required=False, help_text="Items whose platform message contains this text (any case)."
    )
