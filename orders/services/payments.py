"""Payments: an order paid, failed or expired, from Stripe's webhooks and the periodic
expiry, and the stock that goes with it.

Stock: buy-now holds the units at once (the variant's ``held`` rises, so what is
available drops; through catalog.services, so the channels' outbox learns it) for the
order (``stock_status`` "held") until the payment succeeds ("committed": on hand and
held both drop) or the order ends unpaid ("released": held drops, available again).
Each of these moves is a conditional UPDATE on the order row, so the stock is given
back or kept exactly once however many workers race for it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.services import outbox_batch, stock_commit, stock_release, stock_sell
from orders import stripe_client
from orders.models import Order, OrderActivity, StripeEvent
from orders.payment_accounts import ShopPayments, payment_account_state_sync, shop_payments
from orders.services.activity import order_activity_add, order_money
from orders.services.discounts import discount_release, discount_use_restore
from orders.services.emails import order_email_on_commit
from orders.status import order_transition
from shops.queueing import task_queue_on_commit

logger = logging.getLogger(__name__)

Status = Order.Status
Stock = Order.Stock


def _stock_return(order: Order) -> None:
    with outbox_batch():
        for line in order.lines.select_related("variant").order_by("variant_id"):
            if line.variant is not None:
                stock_release(variant=line.variant, quantity=line.quantity)


def _stock_commit(order: Order) -> None:
    with outbox_batch():
        for line in order.lines.select_related("variant").order_by("variant_id"):
            if line.variant is not None:
                stock_commit(variant=line.variant, quantity=line.quantity)


def _stock_take_again(order: Order) -> bool:
    """Take the order's stock again (a late payment); False, with nothing taken, if any
    line's stock is gone."""
    try:
        with transaction.atomic(), outbox_batch():
            for line in order.lines.select_related("variant").order_by("variant_id"):
                if line.variant is None:
                    raise ValidationError("variant deleted")
                stock_sell(variant=line.variant, quantity=line.quantity)
    except ValidationError:
        return False
    return True


@transaction.atomic
def order_release(*, order: Order, to: str, note: str) -> bool:
    """End an unpaid order (``to`` is cancelled) and give back, once and in the same
    transaction, its stock and the use of any discount code it redeemed.

    Returns False (and changes nothing) if the order was paid or released meanwhile.
    """
    released = Order.objects.filter(
        id=order.id, stock_status=Stock.HELD, status=Status.PENDING_PAYMENT
    ).update(stock_status=Stock.RELEASED)
    if not released:
        return False
    order.stock_status = Stock.RELEASED
    _stock_return(order)
    discount_release(order_id=order.id)
    order_transition(order=order, to=to, note=note[:255], cancelled_at=timezone.now())
    order_activity_add(
        order=order, kind=OrderActivity.Kind.CANCELLED, message=f"{note} The stock is back."
    )
    return True


@transaction.atomic
def order_payment_succeeded(
    *, order: Order, payment: stripe_client.PaymentIntent, payments: ShopPayments
) -> Order:
    """Record a successful payment: the order is paid and its stock sold for good.

    Safe to call again and in any order with the other payment events. If the order's
    reservation had already expired, the stock is taken again when there is enough,
    otherwise the payment is refunded and the order marked so.
    """
    order = Order.objects.select_for_update().get(id=order.id)
    if payment.amount != order.amount_minor or payment.currency != order.currency:
        logger.error(
            "order %s: paid %s %s, expected %s",
            order.number,
            payment.amount,
            payment.currency,
            order.amount_minor,
        )
        return order
    now = timezone.now()
    if order.stock_status == Stock.HELD:
        Order.objects.filter(id=order.id).update(stock_status=Stock.COMMITTED)
        order.stock_status = Stock.COMMITTED
        _stock_commit(order)
        order_transition(order=order, to=Status.PAID, paid_at=now)
        _paid(order)
        return order
    if order.status != Status.CANCELLED or order.paid_at is not None:
        return order  # already paid, fulfilled or refunded: nothing new
    if _stock_take_again(order):
        Order.objects.filter(id=order.id).update(stock_status=Stock.COMMITTED)
        order.stock_status = Stock.COMMITTED
        order_transition(
            order=order,
            to=Status.PAID,
            paid_at=now,
            cancelled_at=None,
            note="Paid after its reservation had ended; the stock was reserved again.",
        )
        discount_use_restore(order=order)  # the checkout's end had given the use back
        _paid(order)
        return order
    if payments.credentials is None:
        raise stripe_client.PaymentRetryableError("No Stripe credentials to refund with.")
    stripe_client.refund_create(
        credentials=payments.credentials,
        payment_intent_id=payment.id,
        amount=order.amount_minor,
        idempotency_key=f"late-refund-{order.public_id}",
    )
    order_transition(
        order=order,
        to=Status.REFUNDED,
        paid_at=now,
        refunded_minor=order.amount_minor,
        note="Paid after its reservation had ended and the stock had sold out: refunded.",
    )
    order_activity_add(
        order=order,
        kind=OrderActivity.Kind.REFUNDED,
        message=(
            f"Paid {order_money(order, order.amount_minor)} after the reservation had ended and "
            "the stock had sold out: refunded in full through Stripe."
        ),
    )
    order_email_on_commit(order, "refunded")
    return order


def _paid(order: Order) -> None:
    order_activity_add(
        order=order,
        kind=OrderActivity.Kind.PAID,
        message=f"{order_money(order, order.amount_minor)} through Stripe.",
    )
    order_email_on_commit(order, "confirmation")
    if order.stripe_account_id:  # Connect: what the payment left the shop, from Stripe
        task_queue_on_commit("orders.order_fees_fetch", order.id)


# A PaymentIntent in these states can still be paid: after a declined card Stripe puts
# it back to requires_payment_method, and the shopper may try another card in the form.
PAYABLE_INTENT_STATUSES = frozenset(
    {"processing", "requires_payment_method", "requires_confirmation", "requires_action"}
)


def order_payment_failed(*, order: Order, payments: ShopPayments, reason: str) -> Order:
    """A failed or cancelled payment: re-read the PaymentIntent (events may arrive out of
    order). A payment that in fact succeeded marks the order paid. A declined card
    leaves the PaymentIntent payable again: the order stays held for the shopper, who
    may try another card in the same form, until its reservation expires
    (``reservations_expire`` then cancels the PaymentIntent and gives the stock back).
    Only a PaymentIntent that can no longer be paid (cancelled) releases the stock now.
    """
    if payments.credentials is not None and order.payment_intent_id:
        intent = stripe_client.payment_intent_retrieve(
            credentials=payments.credentials, payment_intent_id=order.payment_intent_id
        )
        if intent.status == "succeeded":
            return order_payment_succeeded(order=order, payment=intent, payments=payments)
        if intent.status in PAYABLE_INTENT_STATUSES:
            return order
    order_release(order=order, to=Status.CANCELLED, note=reason)
    return order


def reservations_expire(*, now: datetime | None = None) -> int:
    """End the unpaid orders whose reservation time has passed and give their stock
    back. The PaymentIntent is cancelled first, so it cannot succeed later; if Stripe
    says it already succeeded, the order is marked paid instead. Returns how many
    orders were released."""
    now = now or timezone.now()
    expired = list(
        Order.objects.filter(
            stock_status=Stock.HELD, status=Status.PENDING_PAYMENT, reserved_until__lt=now
        ).order_by("reserved_until")[:500]
    )
    if not expired:
        return 0
    payments = shop_payments()
    released = 0
    for order in expired:
        try:
            intent = payment_intent_stop(order=order, payments=payments)
        except stripe_client.PaymentError:
            continue  # Stripe unreachable: the next run tries again
        if intent is not None and intent.status in ("succeeded", "processing"):
            if intent.status == "succeeded":
                order_payment_succeeded(order=order, payment=intent, payments=payments)
            continue
        if order_release(order=order, to=Status.CANCELLED, note="The reservation expired."):
            released += 1
    return released


def payment_intent_stop(
    *, order: Order, payments: ShopPayments
) -> stripe_client.PaymentIntent | None:
    """Cancel the order's PaymentIntent so that it cannot succeed later, and return it
    as Stripe has it: canceled, or (too late to cancel) succeeded or processing. None
    when there is no PaymentIntent to stop. Raises PaymentError if Stripe cannot say."""
    if payments.credentials is None or not order.payment_intent_id:
        return None
    arguments = {"credentials": payments.credentials, "payment_intent_id": order.payment_intent_id}
    try:
        return stripe_client.payment_intent_cancel(**arguments)
    except stripe_client.PaymentFinalError:
        return stripe_client.payment_intent_retrieve(**arguments)


def stripe_event_handle(*, event: stripe_client.Event, payments: ShopPayments) -> str:
    """Apply a verified Stripe event to this shop once. Returns what was done.

    The event id is recorded in the same transaction as its effect: a redelivery does
    nothing, and a failure (Stripe unreachable for a re-read) records nothing, so
    Stripe's retry will try again.
    """
    account_handler = ACCOUNT_EVENT_HANDLERS.get(event.type)
    handler = EVENT_HANDLERS.get(event.type)
    if handler is None and account_handler is None:
        return "ignored"
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(
                    event_id=event.id,
                    type=event.type,
                    payment_intent_id=str(event.object.get("id", ""))[:255],
                )
        except IntegrityError:
            return "duplicate"
        if account_handler is not None:
            return account_handler(event)
        order = _order_for_event(event)
        if order is None:
            return "unknown order"
        handler(order, event, payments)
    return "handled"


def _order_for_event(event: stripe_client.Event) -> Order | None:
    public_id = (event.object.get("metadata") or {}).get("order", "")
    intent_id = event.object.get("id", "")
    try:
        order = Order.objects.filter(public_id=public_id).first()
    except ValidationError:
        return None
    if order is None or (order.payment_intent_id and order.payment_intent_id != intent_id):
        return None
    return order


def _on_succeeded(order: Order, event: stripe_client.Event, payments: ShopPayments) -> None:
    order_payment_succeeded(
        order=order,
        payment=stripe_client.PaymentIntent(
            id=event.object["id"],
            status=event.object.get("status", ""),
            amount=int(event.object.get("amount", 0)),
            currency=str(event.object.get("currency", "")).upper(),
            client_secret="",
        ),
        payments=payments,
    )


def _on_failed(order: Order, event: stripe_client.Event, payments: ShopPayments) -> None:
    order_payment_failed(order=order, payments=payments, reason="The payment failed.")


def _on_canceled(order: Order, event: stripe_client.Event, payments: ShopPayments) -> None:
    order_payment_failed(order=order, payments=payments, reason="The payment was cancelled.")


EVENT_HANDLERS = {
    "payment_intent.succeeded": _on_succeeded,
    "payment_intent.payment_failed": _on_failed,
    "payment_intent.canceled": _on_canceled,
}


def _on_account_updated(event: stripe_client.Event) -> str:
    """The shop's connected account changed at Stripe (onboarding finished, charges
    enabled or disabled, new requirements): its state is read again and recorded."""
    if payment_account_state_sync(account_id=event.account_id):
        return "handled"
    return "ignored: not this shop's account"


# Events about the shop's connected account (Connect), not about an order
ACCOUNT_EVENT_HANDLERS = {"account.updated": _on_account_updated}
