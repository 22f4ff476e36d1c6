"""Writes of the insights: events in (``events``), the partitions they live in
(``partitions``), and the rollups the worker builds from them (``rollups``)."""

from shops.insights.services.events import (
    BeaconInvalid,
    beacon_events_record,
    checkout_visitor_keep,
    checkout_visitor_take,
    checkout_visitors_forget,
    order_paid_record,
    shopper_action_record,
    visitor_hash,
)
from shops.insights.services.orders import order_paid_insights
from shops.insights.services.partitions import partitions_drop_expired, partitions_ensure
from shops.insights.services.rollups import rollup_run

__all__ = [
    "BeaconInvalid",
    "beacon_events_record",
    "checkout_visitor_keep",
    "checkout_visitor_take",
    "checkout_visitors_forget",
    "order_paid_insights",
    "order_paid_record",
    "partitions_drop_expired",
    "partitions_ensure",
    "rollup_run",
    "shopper_action_record",
    "visitor_hash",
]
