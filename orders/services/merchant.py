"""The merchant's actions on an order: fulfil (in parcels, by line), cancel, refund (by
line or amount), each recorded: ``Fulfilment`` and ``Refund`` rows with their lines."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.services import outbox_batch, stock_adjust
from orders import stripe_client
from orders.models import (
    Fulfilment,
    FulfilmentLine,
    Order,
    OrderActivity,
    OrderLine,
    Refund,
    RefundLine,
)
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
def order_fulfil(
    *,
    order: Order,
    carrier: str = "",
    tracking_number: str = "",
    lines: Mapping[int, int] | None = None,
) -> Fulfilment:
    """Ship items of a paid order in one parcel and email the shopper what it holds,
    with the carrier and tracking number when given.

    ``lines`` maps order line ids to how many of each the parcel holds; None (or all
    blank) ships everything still to ship. The order becomes fulfilled once nothing is
    left to ship (items refunded before shipping are not), partially fulfilled before.
    A quantity beyond what is left to ship is refused with the line named, and nothing
    is written. The order row stays locked from the check to the record, so two parcels
    sent at once never ship an item twice. The timeline entry also says what the apps
    that heard of it did (``orders.signals.order_fulfilled``, sent with the parcel's
    ``lines``: reviews schedules the buyer's review requests for them)."""
    carrier, tracking_number = carrier.strip()[:100], tracking_number.strip()[:100]
    order = Order.objects.select_for_update().get(id=order.id)
    if not can_transition(order, Status.FULFILLED):
        raise OrderActionError(
            f"Order {order.number} is {order.get_status_display().lower()}; "
            "it cannot become fulfilled."
        )
    order_lines = list(order.lines.order_by("id"))
    shipped = _fulfilment_plan(order, order_lines, lines)
    fulfilment = Fulfilment.objects.create(
        order=order, carrier=carrier, tracking_number=tracking_number
    )
    FulfilmentLine.objects.bulk_create(
        FulfilmentLine(fulfilment=fulfilment, order_line_id=line_id, quantity=quantity)
        for line_id, quantity in shipped.items()
    )
    for line in order_lines:
        if shipped.get(line.id):
            OrderLine.objects.filter(id=line.id).update(
                fulfilled_quantity=F("fulfilled_quantity") + shipped[line.id]
            )
            line.fulfilled_quantity += shipped[line.id]
    is_complete = all(line.to_ship_quantity == 0 for line in order_lines)
    try:
        notes = order_transition(
            order=order,
            to=Status.FULFILLED if is_complete else Status.PARTIALLY_FULFILLED,
            carrier=carrier,
            tracking_number=tracking_number,
            fulfilled_at=timezone.now(),
            details={
                "fulfilment": fulfilment,
                "lines": [line for line in order_lines if shipped.get(line.id)],
            },
        )
    except TransitionError as exc:
        raise OrderActionError(str(exc)) from None
    items = _items_in_words(order_lines, shipped)
    parcel = (
        ("Shipped" if is_complete else "Shipped in part")
        + f": {items}"
        + (f", with {carrier}" if carrier else "")
        + (f", tracking number {tracking_number}" if tracking_number else "")
        + "."
    )
    message = " ".join([parcel, *notes])
    order_activity_add(order=order, kind=OrderActivity.Kind.FULFILLED, message=message)
    audit_record(action="order.fulfil", target=order, note=parcel)
    order_email_on_commit(order, "shipped", fulfilment=fulfilment)
    return fulfilment


def _items_in_words(lines: list[OrderLine], quantities: Mapping[int, int]) -> str:
    """The quantities of the lines by SKU, e.g. "2 x TOTE-1, 1 x MUG-3"."""
    return ", ".join(
        f"{quantities[line.id]} \N{MULTIPLICATION SIGN} {line.sku}"
        for line in lines
        if quantities.get(line.id)
    )


def _checked_quantities(
    order: Order,
    lines: list[OrderLine],
    quantities: Mapping[int, int],
    *,
    most: Callable[[OrderLine], int],
    verb: str,
    code: str,
) -> dict[int, int]:
    """``quantities`` ({line id: how many}) checked against ``order``'s lines, each at
    most ``most(line)``; the zeros left out. Raises OrderActionError saying which line."""
    by_id = {line.id: line for line in lines}
    plan: dict[int, int] = {}
    for line_id, quantity in quantities.items():
        line = by_id.get(line_id)
        if line is None:
            raise OrderActionError(f"Order {order.number} has no line {line_id}.", code=code)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise OrderActionError(
                f"Give a whole number of {line.sku} to be {verb}, 0 or more.", code=code
            )
        if quantity > most(line):
            raise OrderActionError(
                f"Only {most(line)} of {line.sku} ({line.title}) can still be {verb}; "
                f"{quantity} asked. Nothing was done.",
                code=code,
            )
        if quantity:
            plan[line_id] = quantity
    return plan


def _fulfilment_plan(
    order: Order, lines: list[OrderLine], quantities: Mapping[int, int] | None
) -> dict[int, int]:
    """{line id: quantity} a parcel ships: as asked, or everything still to ship."""
    if quantities is None or not any(quantities.values()):
        plan = {line.id: line.to_ship_quantity for line in lines if line.to_ship_quantity}
    else:
        plan = _checked_quantities(
            order,
            lines,
            quantities,
            most=lambda line: line.to_ship_quantity,
            verb="shipped",
            code="invalid_quantity",
        )
    if not plan:
        raise OrderActionError(
            f"Order {order.number} has nothing left to ship.", code="invalid_quantity"
        )
    return plan


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
    *,
    order: Order,
    amount: Decimal | None = None,
    restock: Mapping[int, int] | None = None,
    lines: Mapping[int, int] | None = None,
) -> Refund:
    """Refund a paid order through Stripe, in full, by item or by amount, and put items
    back in stock; recorded as a ``Refund`` with its lines.

    ``lines`` maps order line ids to how many of each are refunded: never more than a
    line has left to refund (refused, the line named, nothing written). ``amount`` is
    the money sent back; None means what the ``lines`` cost, or without lines all that
    is left of the payment (then every item still unrefunded counts as refunded).

    ``restock`` maps order line ids to how many of each go back in stock (through
    ``catalog.services``, so the channels' outbox learns it). None means the default:
    the refunded items not shipped yet (a full refund: every item not shipped); any
    other refund returns nothing unless asked. A line is never returned more than it
    holds.

    The order row stays locked from the check to the record, so two refunds clicked at
    once are done one after the other and never add up to more than was paid (nor
    refund or return more items than were sold).
    """
    order = Order.objects.select_for_update().get(id=order.id)
    if order.status == Status.REFUNDED:
        raise OrderActionError(f"Order {order.number} is refunded in full already.")
    if order.paid_at is None or not can_transition(order, Status.REFUNDED):
        raise OrderActionError(f"Order {order.number} is not paid; there is nothing to refund.")
    order_lines = list(order.lines.select_related("variant").order_by("variant_id", "id"))
    if lines is not None and lines and not any(lines.values()):
        raise OrderActionError(
            "Choose at least one item to refund, or name no item to refund by amount.",
            code="invalid_quantity",
        )
    items = _checked_quantities(
        order,
        order_lines,
        lines or {},
        most=lambda line: line.refundable_quantity,
        verb="refunded",
        code="invalid_quantity",
    )
    remaining = order.amount_minor - order.refunded_minor
    if amount is not None:
        amount_minor = to_minor(amount, order.currency)
    elif items:
        by_id = {line.id: line for line in order_lines}
        amount_minor = to_minor(
            sum((by_id[i].unit_price * q for i, q in items.items()), Decimal(0)), order.currency
        )
    else:
        amount_minor = remaining
    if not 0 < amount_minor <= remaining:
        raise OrderActionError(
            f"Refund more than nothing and at most {order_money(order, remaining)}, "
            "what is left of the payment"
            + (f" (the items chosen cost {order_money(order, amount_minor)})." if items else "."),
            code="invalid_amount",
        )
    is_full = amount_minor == remaining
    if is_full and not items:
        items = {line.id: line.refundable_quantity for line in order_lines}
        items = {line_id: quantity for line_id, quantity in items.items() if quantity}
    returns = _restock_plan(order, order_lines, restock, items=items, is_default_all=is_full)
    payments = shop_payments()
    if payments.credentials is None:
        raise OrderActionError(payments.problem, code="payments_not_set_up")
    try:
        stripe_refund = stripe_client.refund_create(
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
    refund = Refund.objects.create(
        order=order, amount_minor=amount_minor, stripe_refund_id=stripe_refund.id[:255]
    )
    RefundLine.objects.bulk_create(
        RefundLine(
            refund=refund,
            order_line_id=line.id,
            quantity=items.get(line.id, 0),
            restocked_quantity=returns.get(line.id, 0),
        )
        for line in order_lines
        if items.get(line.id) or returns.get(line.id)
    )
    for line in order_lines:
        if items.get(line.id):
            OrderLine.objects.filter(id=line.id).update(
                refunded_quantity=F("refunded_quantity") + items[line.id]
            )
            line.refunded_quantity += items[line.id]
    refunded_minor = order.refunded_minor + amount_minor
    # every item back in stock: the order holds none
    stock_status = Order.Stock.RELEASED if _restock(order_lines, returns) else UNSET
    refunded_items = _items_in_words(order_lines, items)
    restocked = _items_in_words(order_lines, returns)
    order_activity_add(
        order=order,
        kind=OrderActivity.Kind.REFUNDED,
        message=f"{order_money(order, amount_minor)} through Stripe"
        + (f" for {refunded_items}" if refunded_items else "")
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
    return refund


def _restock_plan(
    order: Order,
    lines: list[OrderLine],
    restock: Mapping[int, int] | None,
    *,
    items: Mapping[int, int],
    is_default_all: bool,
) -> dict[int, int]:
    """{line id: quantity to put back}, checked against what each line may still return.
    The default (``restock`` None): the items refunded (``items``) that were not shipped,
    or on a full refund (``is_default_all``) every item not shipped."""
    if order.stock_status != Order.Stock.COMMITTED:
        if restock and any(restock.values()):
            raise OrderActionError(
                f"Order {order.number}'s items are not out of stock for it; nothing to return.",
                code="invalid_restock",
            )
        return {}
    if restock is None:
        return {
            line.id: quantity
            for line in lines
            if line.variant is not None
            and (
                quantity := min(
                    max(0, line.quantity - line.fulfilled_quantity - line.restocked_quantity),
                    line.restockable_quantity if is_default_all else items.get(line.id, 0),
                )
            )
        }
    plan = _checked_quantities(
        order,
        lines,
        restock,
        most=lambda line: line.restockable_quantity,
        verb="returned to stock",
        code="invalid_restock",
    )
    # a deleted variant has no stock to add to
    by_id = {line.id: line for line in lines}
    return {line_id: q for line_id, q in plan.items() if by_id[line_id].variant is not None}


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
