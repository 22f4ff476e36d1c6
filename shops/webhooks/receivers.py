"""The domain's signals turned into webhook events: orders' (``orders.signals``),
reviews' (``reviews.signals``) and channels' (``shops.channels.signals``), connected in
``WebhooksConfig.ready()``. Each receiver runs in the transaction of the change, so
nothing is sent unless it commits (``webhook_events_emit``). (Catalog changes reach
webhooks through the catalog outbox instead: ``shops.webhooks.catalog_events``.)

An event carries a compact payload: an order without its lines or address, a review
without the shopper's email; a subscriber reads more through the API by id.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.dispatch import Signal, receiver

from orders.models import Order
from orders.signals import (
    order_cancelled,
    order_fulfilled,
    order_paid,
    order_refunded,
)
from reviews.models import Review
from reviews.signals import reviews_approved
from shops.channels.models import Connection
from shops.channels.signals import ItemRejection, channel_items_rejected
from shops.currencies import minor_units
from shops.webhooks.models import EventType
from shops.webhooks.services import webhook_events_emit

# An order is placed when it is paid (an unpaid checkout is not an order: the API's
# GET /orders/ and the admin leave it out), so ``order.created`` is sent then, just before
# ``order.paid``, as Shopify's orders/create is sent for placed orders. Buy-now's
# ``orders.signals.order_created`` (a checkout started) sends no event.
EVENTS_OF_ORDER_SIGNAL: dict[Signal, tuple[str, ...]] = {
    order_paid: (EventType.ORDER_CREATED, EventType.ORDER_PAID),
    order_fulfilled: (EventType.ORDER_FULFILLED,),
    order_cancelled: (EventType.ORDER_CANCELLED,),
    order_refunded: (EventType.ORDER_REFUNDED,),  # partially refunded too
}


def _amount(amount: Decimal, currency: str) -> str:
    return f"{amount:.{minor_units(currency)}f}"


def order_event_data(order: Order) -> dict:
    """The order as an event carries it: no lines, no address (read those by id)."""
    return {
        "order": {
            "id": order.pk,
            "number": order.number,
            "status": order.status,
            "email": order.email,
            "currency": order.currency,
            "total": _amount(order.total, order.currency),
            "refunded_amount": _amount(order.refunded_amount, order.currency),
            "tracking_number": order.tracking_number,
            "utm_source": order.utm_source,
            "created": order.created,
            "paid_at": order.paid_at,
            "fulfilled_at": order.fulfilled_at,
            "cancelled_at": order.cancelled_at,
        }
    }


@receiver(list(EVENTS_OF_ORDER_SIGNAL), dispatch_uid="webhooks.order_event_emit")
def order_event_emit(sender: type[Order], *, signal: Signal, order: Order, **details: Any) -> None:
    """``order.created`` and ``order.paid``, ``order.fulfilled`` … for the order signal
    received (one query for the subscriptions, whatever the events)."""
    data = order_event_data(order)
    webhook_events_emit(
        events=[(event_type, data) for event_type in EVENTS_OF_ORDER_SIGNAL[signal]]
    )


def review_event_data(review: Review) -> dict:
    """The review as an event carries it (the shopper's email stays out)."""
    return {
        "review": {
            "id": review.pk,
            "product_id": review.product_id,
            "rating": review.rating,
            "title": review.title,
            "body": review.body,
            "display_name": review.display_name,
            "is_verified": review.is_verified,
            "photo_count": review.photo_count,
            "status": review.status,
            "created": review.created,
        }
    }


@receiver(reviews_approved, dispatch_uid="webhooks.reviews_approved_emit")
def reviews_approved_emit(sender: type[Review], *, review_ids: list[int], **details: Any) -> None:
    """``review.approved`` for each review: one query to read them, plus the webhooks'
    fixed few when anyone subscribes."""
    reviews = Review.objects.filter(pk__in=review_ids).order_by("pk")
    webhook_events_emit(
        events=[(EventType.REVIEW_APPROVED, review_event_data(review)) for review in reviews]
    )


@receiver(channel_items_rejected, dispatch_uid="webhooks.channel_items_rejected_emit")
def channel_items_rejected_emit(
    sender: type[Connection],
    *,
    connection: Connection,
    rejections: list[ItemRejection],
    **details: Any,
) -> None:
    """``channel.item_rejected`` for each item the platform refused."""
    webhook_events_emit(
        events=[
            (
                EventType.CHANNEL_ITEM_REJECTED,
                {
                    "channel": connection.channel,
                    "product_id": rejection.product_id,
                    "variant_id": rejection.variant_id,
                    "item_id": rejection.retailer_id,
                    "message": rejection.message,
                },
            )
            for rejection in rejections
        ]
    )
