"""Shapes of the pricing resources: shipping zones (with their rates), shipping rates
(with their zone) and discount codes. Input serializers check types only; the orders
services check the rules (and name the field at fault) before anything is written."""

from __future__ import annotations

from rest_framework import serializers

from orders.countries import COUNTRY_CODES
from orders.models import Discount, ShippingRate, ShippingZone
from shops.api.catalog.serializers import CurrencyMixin, MoneyField

MAX_COUNT = 2**31 - 1
MAX_ID = 2**63 - 1
COUNTRY_HELP = "ISO 3166-1 alpha-2 code, e.g. FR."


class RateFieldsMixin(CurrencyMixin, serializers.ModelSerializer):
    price = MoneyField(read_only=True)
    min_order_value = MoneyField(read_only=True, allow_null=True)
    max_order_value = MoneyField(read_only=True, allow_null=True)
    free_over = MoneyField(read_only=True, allow_null=True)

    class Meta:
        model = ShippingRate
        fields = [
            "id",
            "name",
            "kind",
            "price",
            "currency",
            "min_weight_grams",
            "max_weight_grams",
            "min_order_value",
            "max_order_value",
            "free_over",
            "created",
            "updated",
        ]
        read_only_fields = fields


class ZoneRateSerializer(RateFieldsMixin):
    """A rate inside its zone."""


class ShippingZoneSerializer(serializers.ModelSerializer):
    countries = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="ISO 3166-1 alpha-2 codes."
    )
    rates = ZoneRateSerializer(many=True, read_only=True, help_text="Cheapest first.")

    class Meta:
        model = ShippingZone
        fields = ["id", "name", "countries", "rates", "created", "updated"]
        read_only_fields = fields


class RateZoneSerializer(serializers.ModelSerializer):
    """The zone of a rate, without its other rates."""

    countries = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ShippingZone
        fields = ["id", "name", "countries"]
        read_only_fields = fields


class ShippingRateSerializer(RateFieldsMixin):
    zone = RateZoneSerializer(read_only=True)

    class Meta(RateFieldsMixin.Meta):
        fields = ["id", "zone", *RateFieldsMixin.Meta.fields[1:]]
        read_only_fields = fields


class ShippingZoneInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="For the merchant, e.g. Europe.")
    countries = serializers.ListField(
        child=serializers.CharField(max_length=20),
        max_length=len(COUNTRY_CODES),
        help_text="ISO 3166-1 alpha-2 codes; a country belongs to one zone only.",
    )


class ShippingRateInputSerializer(serializers.Serializer):
    """A rate: flat, or for a band of the order's weight (grams) or value, from the lower
    limit (included) to the upper one (not included); free from ``free_over``."""

    zone_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    name = serializers.CharField(max_length=100, help_text="What shoppers see at checkout.")
    kind = serializers.ChoiceField(choices=ShippingRate.Kind.choices, required=False)
    price = MoneyField(min_value=0)
    min_weight_grams = serializers.IntegerField(
        min_value=0, max_value=MAX_COUNT, required=False, allow_null=True
    )
    max_weight_grams = serializers.IntegerField(
        min_value=0, max_value=MAX_COUNT, required=False, allow_null=True
    )
    min_order_value = MoneyField(min_value=0, required=False, allow_null=True)
    max_order_value = MoneyField(min_value=0, required=False, allow_null=True)
    free_over = MoneyField(
        min_value=0,
        required=False,
        allow_null=True,
        help_text="Free for orders whose items total at least this; null: never free.",
    )


class ShippingRateFilterSerializer(serializers.Serializer):
    zone = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    country = serializers.CharField(
        max_length=2, required=False, help_text=f"Rates of the zone holding it: {COUNTRY_HELP}"
    )


class DiscountSerializer(CurrencyMixin, serializers.ModelSerializer):
    value = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text='percentage: the percent off ("10.00"); fixed_amount: the amount off, '
        "in currency; free_shipping: null.",
    )
    minimum_subtotal = MoneyField(read_only=True, allow_null=True)

    class Meta:
        model = Discount
        fields = [
            "id",
            "code",
            "kind",
            "value",
            "currency",
            "minimum_subtotal",
            "usage_limit",
            "uses",
            "once_per_customer",
            "starts_at",
            "ends_at",
            "is_active",
            "created",
            "updated",
        ]
        read_only_fields = fields


class DiscountInputSerializer(serializers.Serializer):
    """A discount code; on update every field is optional."""

    code = serializers.CharField(
        max_length=64, help_text="Letters, digits, - and _; matched in any case."
    )
    kind = serializers.ChoiceField(choices=Discount.Kind.choices)
    value = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="percentage: 0.01 to 100; fixed_amount: more than 0; free_shipping: leave out.",
    )
    minimum_subtotal = MoneyField(min_value=0, required=False, allow_null=True)
    usage_limit = serializers.IntegerField(
        min_value=1,
        max_value=MAX_COUNT,
        required=False,
        allow_null=True,
        help_text="Uses in all; null: no limit.",
    )
    once_per_customer = serializers.BooleanField(required=False)
    starts_at = serializers.DateTimeField(required=False, allow_null=True)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class DiscountFilterSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, required=False, help_text="Exact, any case.")
    kind = serializers.ChoiceField(choices=Discount.Kind.choices, required=False)
    is_active = serializers.BooleanField(required=False)
