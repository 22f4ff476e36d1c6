"""Shapes of the orders API. Output serializers read prefetched rows only; amounts are
decimal strings beside the order's currency, times ISO 8601."""

from __future__ import annotations

from rest_framework import serializers

from orders.models import Order, OrderLine
from shops.api.catalog.serializers import MoneyField


class OrderLineSerializer(serializers.ModelSerializer):
    """One variant bought; title, SKU and price are copies taken at purchase time."""

    variant_id = serializers.IntegerField(
        allow_null=True, read_only=True, help_text="Null once the variant is deleted."
    )
    unit_price = MoneyField(read_only=True)
    line_total = MoneyField(read_only=True)

    class Meta:
        model = OrderLine
        fields = [
            "id", "variant_id", "product_id", "title", "variant_title", "sku", "unit_price",
            "quantity", "line_total",
        ]  # fmt: skip
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True, help_text="What the shopper is told.")
    subtotal = MoneyField(read_only=True)
    total = MoneyField(read_only=True)
    refunded_amount = MoneyField(read_only=True)
    shipping_address = serializers.DictField(child=serializers.CharField(), read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id", "number", "status", "stock_status", "email", "shipping_address",
            "currency", "subtotal", "total", "refunded_amount", "lines", "carrier",
            "tracking_number", "note", "coupon_code", "utm_source", "utm_medium", "utm_campaign",
            "payment_intent_id", "created", "paid_at", "fulfilled_at", "cancelled_at",
        ]  # fmt: skip
        read_only_fields = fields


class OrderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Order.Status.choices, required=False)
    created_after = serializers.DateTimeField(required=False, help_text="ISO 8601.")
    created_before = serializers.DateTimeField(required=False, help_text="ISO 8601.")
    email = serializers.CharField(required=False, help_text="The shopper's email, any case.")
    utm_source = serializers.CharField(required=False, help_text="Exact.")


class FulfilInputSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )


class RefundInputSerializer(serializers.Serializer):
    amount = MoneyField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="In the order's currency; leave out to refund what is left in full.",
    )
