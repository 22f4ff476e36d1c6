"""What happens to orders (and to their shipping rates), told to the apps above orders
(reviews, shoppable posts, webhooks, channels), which orders never imports: they connect
to these signals in their ``AppConfig.ready()``.

Plain Django signals, each sent with ``sender=Order`` and ``order`` (the order as it is
now, its new status and fields set) synchronously inside the transaction of the change:
``orders.status.order_transition`` sends the status signals, buy-now ``order_created``.
So what a receiver writes (a webhook delivery, review requests, a post's attribution)
commits or rolls back with the change, and an exception in a receiver undoes it.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

from orders.models import Order

Status = Order.Status

# A shopper placed the order (pending payment). Also sends ``attribution``
# (orders.services.buy_now.Attribution: UTM fields, coupon, the post tag clicked).
order_created = Signal()
# Stripe took the payment (a late one too, after the reservation had ended).
order_paid = Signal()
# The merchant shipped it, or part of it (``order.status`` says which). Also sends
# ``fulfilment`` (orders.models.Fulfilment) and ``lines``: the order lines that parcel
# holds. A receiver may return one sentence for the merchant, added to the "Fulfilled"
# entry of the order's timeline (see ``order_signal_send``).
order_fulfilled = Signal()
# Part or all of the payment went back (``order.status`` says which).
order_refunded = Signal()
# Cancelled unpaid, by the merchant, a failed payment or the end of its reservation.
order_cancelled = Signal()

# The shop's shipping zones or rates changed (one created, changed or deleted): what every
# product costs to ship changed with them. Sent with ``sender=ShippingZone`` by
# ``orders.services.shipping`` inside the change's transaction; the channels queue a
# reconcile of the platforms whose items carry shipping prices (Google).
shipping_changed = Signal()

SIGNAL_OF_STATUS: dict[str, Signal] = {
    Status.PAID: order_paid,
    Status.PARTIALLY_FULFILLED: order_fulfilled,
    Status.FULFILLED: order_fulfilled,
    Status.CANCELLED: order_cancelled,
    Status.REFUNDED: order_refunded,
    Status.PARTIALLY_REFUNDED: order_refunded,
}


def order_signal_send(signal: Signal, *, order: Order, **details: Any) -> list[str]:
    """Send ``signal`` for ``order`` to its receivers, in the caller's transaction (an
    exception in one propagates). Returns the sentences they returned for the merchant,
    in the order they ran (receivers that return nothing are left out)."""
    responses = signal.send(sender=Order, order=order, **details)
    return [response for _receiver, response in responses if isinstance(response, str) and response]
