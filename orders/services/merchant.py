"""The merchant's actions on an order: fulfil, cancel, refund."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.services import outbox_batch, stock_adjust
from orders import stripe_client
from orders.models import Order, OrderActivity, OrderLine
from orders.payment_accounts import shop_payments
from orders.services.activity import order_activity_add, order_money
from orders.services.emails import order_email_on_commit
from orders.services.payments import order_release, payment_intent_stop
from orders.status import MERCHANT_CANCEL_NOTE, TransitionError, can_transition, order_transition
from shops.audit.services import audit_record
from shops.currencies import to_minor
from shops.unset import UNSET

Status = Order.Status
PROVIDER_ERROR = "payment_provider_error"
PAYMENT_REFUSED = "payment_refused"


class OrderActionError(Exception):
    """A merchant action that cannot be done; the message says why, ``code`` what kind:
    ``invalid_transition`` (the order's status does not allow it), ``invalid_amount``,
    ``invalid_restock``, ``payments_not_set_up``, ``payment_refused`` (Stripe refused:
    retrying will not help) or ``payment_provider_error`` (Stripe failed; retry)."""

    def __init__(self, message: str, *, code: str = "invalid_transition") -> None:
        super().__init__(message)
        self.code = code


@transaction.atomic
def order_fulfil(*, order: Order, carrier: str = "", tracking_number: str = "") -> Order:
    """Mark a paid order shipped (all its lines) and email the shopper, with the carrier
    and tracking number when given. The timeline entry also says what the apps that
    heard of it did (``orders.signals.order_fulfilled``: reviews schedules the buyer's
    review requests and says when they are due)."""
    carrier, tracking_number = carrier.strip()[:100], tracking_number.strip()[:100]
    try:
        notes = order_transition(
            order=order,
            to=Status.FULFILLED,
            carrier=carrier,
            tracking_number=tracking_number,
            fulfilled_at=timezone.now(),
        )
    except TransitionError as exc:
        raise OrderActionError(str(exc)) from None
    shipped = (
        "Shipped"
        + (f" with {carrier}" if carrier else "")
        + (f", tracking number {tracking_number}" if tracking_number else "")
        + "."
    )
    message = " ".join([shipped, *notes])
    order_activity_add(order=order, kind=OrderActivity.Kind.FULFILLED, message=message)
    audit_record(action="order.fulfil", target=order, note=shipped)
    order_email_on_commit(order, "shipped")
    return order


def order_cancel(*, order: Order) -> Order:
    """Cancel an unpaid order: cancel its PaymentIntent and give the stock back."""
    if order.status != Status.PENDING_PAYMENT:
        raise OrderActionError(
            f"Order {order.number} is {order.get_status_display().lower()}; "
            "refund a paid order instead."
        )
    try:
        intent = payment_intent_stop(order=order, payments=shop_payments())
    except stripe_client.PaymentRetryableError as exc:
        raise OrderActionError(
            f"Stripe did not cancel the payment ({exc}); try again.", code=PROVIDER_ERROR
        ) from None
    except stripe_client.PaymentError as exc:
        raise OrderActionError(
            f"Stripe refused to cancel the payment: {exc}", code=PAYMENT_REFUSED
        ) from None
    if intent is not None and intent.status in ("succeeded", "processing"):
        raise OrderActionError(
            f"Order {order.number} has just been paid at Stripe; refund it instead."
        )
    if not order_release(order=order, to=Status.CANCELLED, note=MERCHANT_CANCEL_NOTE):
        raise OrderActionError(f"Order {order.number} was paid or ended meanwhile.")
    audit_record(action="order.cancel", target=order)
    return order


@transaction.atomic
def order_refund(
    *, order: Order, amount: Decimal | None = None, restock: Mapping[int, int] | None = None
) -> Order:
    """Refund a paid order through Stripe, in full (``amount`` None) or in part, and
    put items back in stock.

    ``restock`` maps order line ids to how many of each go back in stock (through
    ``catalog.services``, so the channels' outbox learns it). None means the default: a
    full refund of an order not fulfilled yet returns everything still out; any other
    refund returns nothing unless asked. A line is never returned more than it holds.

    The order row stays locked from the check to the record, so two refunds clicked at
    once are done one after the other and never add up to more than was paid (nor
    return more stock than was sold).
    """
    order = Order.objects.select_for_update().get(id=order.id)
    if order.status == Status.REFUNDED:
        raise OrderActionError(f"Order {order.number} is refunded in full already.")
    if order.paid_at is None or not can_transition(order, Status.REFUNDED):
        raise OrderActionError(f"Order {order.number} is not paid; there is nothing to refund.")
    remaining = order.amount_minor - order.refunded_minor
    amount_minor = remaining if amount is None else to_minor(amount, order.currency)
    if not 0 < amount_minor <= remaining:
        raise OrderActionError(
            f"Refund more than nothing and at most {order_money(order, remaining)}, "
            "what is left of the payment.",
            code="invalid_amount",
        )
    lines = list(order.lines.select_related("variant").order_by("variant_id", "id"))
    returns = _restock_plan(order, lines, restock, is_full=amount_minor == remaining)
    payments = shop_payments()
    if payments.credentials is None:
        raise OrderActionError(payments.problem, code="payments_not_set_up")
    try:
        stripe_client.refund_create(
            credentials=payments.credentials,
            payment_intent_id=order.payment_intent_id,
            amount=amount_minor,
            idempotency_key=f"refund-{order.public_id}-{order.refunded_minor}-{amount_minor}",
        )
    except stripe_client.PaymentRetryableError as exc:
        raise OrderActionError(
            f"Stripe could not be reached ({exc}); nothing was refunded, try again.",
            code=PROVIDER_ERROR,
        ) from None
    except stripe_client.PaymentError as exc:
        raise OrderActionError(
            f"Stripe refused the refund: {exc} Nothing was refunded; the payment as Stripe "
            "has it is in your Stripe dashboard.",
            code=PAYMENT_REFUSED,
        ) from None
    refunded_minor = order.refunded_minor + amount_minor
    # every item back in stock: the order holds none
    stock_status = Order.Stock.RELEASED if _restock(lines, returns) else UNSET
    restocked = ", ".join(
        f"{returns[line.id]} \N{MULTIPLICATION SIGN} {line.sku}"
        for line in lines
        if returns.get(line.id)
    )
    order_activity_add(
        order=order,
        kind=OrderActivity.Kind.REFUNDED,
        message=f"{order_money(order, amount_minor)} through Stripe"
        + (f"; back in stock: {restocked}." if restocked else "; no item back in stock."),
    )
    order_transition(
        order=order,
        to=Status.REFUNDED if refunded_minor >= order.amount_minor else Status.PARTIALLY_REFUNDED,
        refunded_minor=refunded_minor,
        stock_status=stock_status,
    )
    audit_record(
        action="order.refund", target=order, note=f"{order_money(order, amount_minor)} refunded"
    )
    order_email_on_commit(order, "refunded")
    return order


def _restock_plan(
    order: Order, lines: list[OrderLine], restock: Mapping[int, int] | None, *, is_full: bool
) -> dict[int, int]:
    """{line id: quantity to put back}, checked against what each line may still return."""
    if order.stock_status != Order.Stock.COMMITTED:
        if restock and any(restock.values()):
            raise OrderActionError(
                f"Order {order.number}'s items are not out of stock for it; nothing to return.",
                code="invalid_restock",
            )
        return {}
    if restock is None:
        is_returned_by_default = is_full and order.fulfilled_at is None
        restock = {line.id: line.restockable_quantity for line in lines}
        if not is_returned_by_default:
            return {}
    by_id = {line.id: line for line in lines}
    plan = {}
    for line_id, quantity in restock.items():
        line = by_id.get(line_id)
        if line is None:
            raise OrderActionError(
                f"Order {order.number} has no line {line_id}.", code="invalid_restock"
            )
        if not isinstance(quantity, int) or not 0 <= quantity <= line.restockable_quantity:
            raise OrderActionError(
                f"Return between 0 and {line.restockable_quantity} of {line.sku} to stock.",
                code="invalid_restock",
            )
        if quantity and line.variant is not None:  # a deleted variant has no stock to add to
            plan[line_id] = quantity
    return plan


def _restock(lines: list[OrderLine], returns: dict[int, int]) -> bool:
    """Put the planned quantities back (lines in variant order, as buy-now takes them);
    True when every line is then back in stock in full."""
    with outbox_batch():
        for line in lines:
            quantity = returns.get(line.id, 0)
            if not quantity:
                continue
            stock_adjust(variant=line.variant, delta=quantity)
            OrderLine.objects.filter(id=line.id).update(
                restocked_quantity=F("restocked_quantity") + quantity
            )
            line.restocked_quantity += quantity
    return bool(returns) and all(line.restockable_quantity == 0 for line in lines)
