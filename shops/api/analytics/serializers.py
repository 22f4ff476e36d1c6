"""The analytics answers of the partner API: the insights' dataclasses as JSON. Money is
a string with the shop's currency beside it, as everywhere in the API; rates are numbers
from 0 to 1, or null when there is nothing to divide by."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from rest_framework import serializers

from shops.insights.selectors import BREAKDOWNS, GRAINS, MAX_RANGE_DAYS, METRICS


class RangeQuerySerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text="First day (UTC), YYYY-MM-DD; 29 days before end by default."
    )
    end = serializers.DateField(
        required=False, help_text="Last day (UTC), YYYY-MM-DD, included; today by default."
    )

    def to_internal_value(self, data: object) -> dict:
        # an empty ?start= is not "no start": a query string gives '' for a blank field
        blank = {
            name: "A date is YYYY-MM-DD; leave the parameter out for the default."
            for name in ("start", "end")
            if hasattr(data, "get") and data.get(name) == ""
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)

    def validate(self, attrs: dict) -> dict:
        end = attrs.get("end") or timezone.now().date()
        start = attrs.get("start") or date.fromordinal(end.toordinal() - 29)
        if end < start:
            raise serializers.ValidationError({"end": "The end date is before the start date."})
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"start": f"A range is at most {MAX_RANGE_DAYS} days; choose a later start."}
            )
        return {**attrs, "start": start, "end": end}


class SeriesQuerySerializer(RangeQuerySerializer):
    metric = serializers.ChoiceField(choices=METRICS, help_text="What to count per bucket.")
    grain = serializers.ChoiceField(choices=GRAINS, default="day", help_text="Bucket size.")


class BreakdownQuerySerializer(RangeQuerySerializer):
    by = serializers.ChoiceField(choices=BREAKDOWNS, help_text="What to break down by.")
    limit = serializers.IntegerField(min_value=1, max_value=500, default=20)
    offset = serializers.IntegerField(min_value=0, default=0)


class TotalsSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    currency = serializers.CharField()
    sales = serializers.DecimalField(max_digits=14, decimal_places=2)
    orders = serializers.IntegerField()
    average_order_value = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    sessions = serializers.IntegerField(help_text="Unique visitors per day, summed.")
    conversion = serializers.FloatField(allow_null=True, help_text="Paid orders per session.")
    returning_shoppers = serializers.IntegerField(
        help_text="Paid orders whose email had paid before."
    )
    page_views = serializers.IntegerField()


class SummarySerializer(serializers.Serializer):
    current = TotalsSerializer()
    previous = TotalsSerializer(help_text="The range of the same length just before.")
    attribution = serializers.CharField()


class FunnelStepSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    rate_from_previous = serializers.FloatField(allow_null=True)
    rate_from_first = serializers.FloatField(allow_null=True)


class FunnelSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    steps = FunnelStepSerializer(many=True)


class PointSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    value = serializers.CharField(
        allow_null=True, help_text="A number (money as a string in the shop's currency)."
    )


class SeriesSerializer(serializers.Serializer):
    metric = serializers.CharField()
    grain = serializers.CharField()
    currency = serializers.CharField()
    points = PointSerializer(many=True)


class RowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    visitors = serializers.IntegerField()
    page_views = serializers.IntegerField()
    product_views = serializers.IntegerField()
    post_impressions = serializers.IntegerField()
    tag_clicks = serializers.IntegerField()
    click_through = serializers.FloatField(allow_null=True)
    votes = serializers.IntegerField()
    voters_bought = serializers.IntegerField(
        help_text=(
            "Polls: voters whose paid order came after their vote the same UTC day "
            "(visitors are recognised within a day only)."
        )
    )
    orders = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    units_sold = serializers.IntegerField()
    conversion = serializers.FloatField(allow_null=True)


class BreakdownSerializer(serializers.Serializer):
    by = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    currency = serializers.CharField()
    attribution = serializers.CharField()
    total_rows = serializers.IntegerField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = RowSerializer(many=True)
