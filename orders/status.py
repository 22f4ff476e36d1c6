"""The order status machine, in one place: which status may follow which.

Every status change goes through ``order_transition``: one conditional UPDATE that only
applies while the order is still in a status the move is allowed from, so two workers
(a webhook and the expiry task, say) can never both move the same order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from orders.models import Order
from orders.signals import SIGNAL_OF_STATUS, order_signal_send
from shops.unset import UNSET, Unset, given

Status = Order.Status

# the note of a checkout the merchant cancelled (no checkout reminder follows it)
MERCHANT_CANCEL_NOTE = "Cancelled by the merchant."

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING_PAYMENT: frozenset({Status.PAID, Status.CANCELLED}),
    Status.PAID: frozenset(
        {
            Status.PARTIALLY_FULFILLED,
            Status.FULFILLED,
            Status.REFUNDED,
            Status.PARTIALLY_REFUNDED,
        }
    ),
    # another parcel, the last parcel, or a refund
    Status.PARTIALLY_FULFILLED: frozenset(
        {
            Status.PARTIALLY_FULFILLED,
            Status.FULFILLED,
            Status.REFUNDED,
            Status.PARTIALLY_REFUNDED,
        }
    ),
    Status.PARTIALLY_REFUNDED: frozenset(
        {
            Status.PARTIALLY_FULFILLED,
            Status.FULFILLED,
            Status.REFUNDED,
            Status.PARTIALLY_REFUNDED,
        }
    ),
    Status.FULFILLED: frozenset({Status.REFUNDED, Status.PARTIALLY_REFUNDED}),
    # A payment that succeeds after its reservation expired (orders.services).
    Status.CANCELLED: frozenset({Status.PAID, Status.REFUNDED}),
    Status.REFUNDED: frozenset(),
}


def statuses_after(status: str) -> tuple[str, ...]:
    """``status`` and every status an order in it can reach later, in the order of
    ``Order.Status`` (after PAID: the statuses a paid order may show)."""
    reached, todo = {status}, [status]
    while todo:
        for target in TRANSITIONS.get(todo.pop(), frozenset()):
            if target not in reached:
                reached.add(target)
                todo.append(target)
    return tuple(value for value in Status.values if value in reached)


class TransitionError(Exception):
    """The order is not in a status that allows this change."""


def allowed_sources(target: str) -> list[str]:
    return [source for source, targets in TRANSITIONS.items() if target in targets]


def can_transition(order: Order, target: str) -> bool:
    return target in TRANSITIONS.get(order.status, frozenset())


def order_transition(
    *,
    order: Order,
    to: str,
    note: str | Unset = UNSET,
    paid_at: datetime | Unset = UNSET,
    fulfilled_at: datetime | Unset = UNSET,
    cancelled_at: datetime | Unset | None = UNSET,
    carrier: str | Unset = UNSET,
    tracking_number: str | Unset = UNSET,
    refunded_minor: int | Unset = UNSET,
    stock_status: str | Unset = UNSET,
    details: Mapping[str, Any] | None = None,
) -> list[str]:
    """Move ``order`` to status ``to`` and set the fields given (those left UNSET keep
    their value), or raise TransitionError if the order (as it is in the database now)
    may not move there. Updates ``order`` in place and sends the signal of the new status
    (``orders.signals``) in the same transaction; returns what its receivers said for the
    merchant (``order_signal_send``). ``details`` go with the signal (a fulfilment's
    ``lines``)."""
    fields = given(
        {
            "note": note,
            "paid_at": paid_at,
            "fulfilled_at": fulfilled_at,
            "cancelled_at": cancelled_at,
            "carrier": carrier,
            "tracking_number": tracking_number,
            "refunded_minor": refunded_minor,
            "stock_status": stock_status,
        }
    )
    with transaction.atomic(savepoint=False):
        return _transition(order=order, to=to, fields=fields, details=details or {})


def _transition(
    *, order: Order, to: str, fields: dict[str, object], details: Mapping[str, Any]
) -> list[str]:
    sources = allowed_sources(to)
    updated = Order.objects.filter(id=order.id, status__in=sources).update(status=to, **fields)
    if not updated:
        current = Order.objects.filter(id=order.id).values_list("status", flat=True).first()
        raise TransitionError(
            f"Order {order.number} is {Status(current).label.lower() if current else 'gone'}; "
            f"it cannot become {Status(to).label.lower()}."
        )
    order.status = to
    for name, value in fields.items():
        setattr(order, name, value)
    if to not in SIGNAL_OF_STATUS:
        return []
    return order_signal_send(SIGNAL_OF_STATUS[to], order=order, **details)
