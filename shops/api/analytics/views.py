"""Analytics in the partner API (``analytics:read``): the numbers of the back office's
Analytics page, read by ``shops.insights.selectors`` from the shop's own rollups."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from shops.api.analytics import serializers as s
from shops.api.base import ApiView
from shops.api.models import Scope
from shops.insights import selectors

ATTRIBUTION = "Last touch within 7 days"


class AnalyticsView(ApiView):
    read_scope = Scope.ANALYTICS_READ
    write_scope = Scope.ANALYTICS_READ  # nothing to write: GET only
    http_method_names = ["get", "head", "options"]

    def query(self, serializer_class: type[s.RangeQuerySerializer]) -> dict:
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def _totals(totals: selectors.Totals) -> dict:
    return {
        **asdict(totals),
        "average_order_value": totals.average_order_value,
        "conversion": totals.conversion,
    }


@extend_schema(tags=["analytics"])
class SummaryView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_summary",
        summary="Sales, orders, average order value, sessions, conversion, returning shoppers",
        parameters=[s.RangeQuerySerializer],
        responses=s.SummarySerializer,
    )
    def get(self, request: Request) -> Response:
        query = self.query(s.RangeQuerySerializer)
        summary = selectors.insights_summary(query["start"], query["end"])
        return Response(
            s.SummarySerializer(
                {
                    "current": _totals(summary.current),
                    "previous": _totals(summary.previous),
                    "attribution": ATTRIBUTION,
                }
            ).data
        )


@extend_schema(tags=["analytics"])
class FunnelView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_funnel",
        summary="Visit → product view → bag → checkout → paid",
        parameters=[s.RangeQuerySerializer],
        responses=s.FunnelSerializer,
    )
    def get(self, request: Request) -> Response:
        query = self.query(s.RangeQuerySerializer)
        return Response(
            s.FunnelSerializer(asdict(selectors.insights_funnel(query["start"], query["end"]))).data
        )


@extend_schema(tags=["analytics"])
class SeriesView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_series",
        summary="One metric per hour, day, week or month",
        parameters=[s.SeriesQuerySerializer],
        responses=s.SeriesSerializer,
    )
    def get(self, request: Request) -> Response:
        query = self.query(s.SeriesQuerySerializer)
        try:
            points = selectors.insights_series(
                query["start"], query["end"], query["metric"], query["grain"]
            )
        except selectors.RangeInvalid as error:
            raise s.serializers.ValidationError({"grain": str(error)}) from None
        return Response(
            s.SeriesSerializer(
                {
                    "metric": query["metric"],
                    "grain": query["grain"],
                    "currency": selectors.shop_currency(),
                    "points": [
                        {"at": p.at, "value": None if p.value is None else str(p.value)}
                        for p in points
                    ],
                }
            ).data
        )


@extend_schema(tags=["analytics"])
class BreakdownView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_breakdown",
        summary="Sources, channels, posts, polls, products or embedding sites, largest first",
        parameters=[s.BreakdownQuerySerializer],
        responses=s.BreakdownSerializer,
    )
    def get(self, request: Request) -> Response:
        query = self.query(s.BreakdownQuerySerializer)
        page = selectors.insights_table(
            query["start"], query["end"], query["by"], query["limit"], query["offset"]
        )
        return Response(
            s.BreakdownSerializer(
                {
                    **asdict(page),
                    "rows": [
                        {
                            **asdict(row),
                            "click_through": row.click_through,
                            "conversion": row.conversion,
                        }
                        for row in page.rows
                    ],
                }
            ).data
        )
