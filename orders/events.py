"""Order events for the partner webhooks (shops.webhooks): which status change is which
event, and the compact payload every order event carries.

Emitted in the transaction of the change (``order_transition`` for status changes,
buy-now for ``order.created``), so nothing is sent unless the change commits. A
subscriber that needs the lines reads ``GET /api/v1/orders/{id}/``.
"""

from __future__ import annotations

from decimal import Decimal

from orders.models import Order
from shops.currencies import minor_units
from shops.webhooks.models import EventType
from shops.webhooks.services import webhook_event_emit

Status = Order.Status

EVENT_OF_STATUS: dict[str, str] = {
    Status.PAID: EventType.ORDER_PAID,
    Status.FULFILLED: EventType.ORDER_FULFILLED,
    Status.CANCELLED: EventType.ORDER_CANCELLED,
    Status.REFUNDED: EventType.ORDER_REFUNDED,
    Status.PARTIALLY_REFUNDED: EventType.ORDER_REFUNDED,
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


def order_event_emit(*, order: Order, event_type: str) -> None:
    """Emit ``event_type`` for ``order`` (in the caller's transaction)."""
    webhook_event_emit(event_type=event_type, data=order_event_data(order))
