"""Writes of the orders app: buy-now, payments, reservations, fulfilment and refunds.

Stock: buy-now takes the stock from the variants at once (through catalog.services, so
the channels' outbox learns it) and holds it for the order (``stock_status`` "held")
until the payment succeeds ("committed") or the order ends unpaid ("released", stock
given back). Each of these moves is a conditional UPDATE on the order row, so the stock
is given back or kept exactly once however many workers race for it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from catalog.currencies import minor_units
from catalog.models import Product, Variant
from catalog.services import outbox_batch, shop_currency, stock_adjust
from orders import stripe_client
from orders.models import IdempotencyKey, Order, OrderLine, StripeEvent
from orders.payment_accounts import ShopPayments, shop_payments
from orders.status import TransitionError, can_transition, order_transition

logger = logging.getLogger(__name__)

Status = Order.Status
Stock = Order.Stock


class BuyNowError(Exception):
    """A buy-now request that cannot be served; ``message`` is for the shopper."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class OutOfStock(BuyNowError):
    status = 409
    code = "out_of_stock"


class NotForSale(BuyNowError):
    status = 404
    code = "not_for_sale"


class PaymentsNotSetUp(BuyNowError):
    status = 503
    code = "payments_not_set_up"


class PaymentUnavailable(BuyNowError):
    status = 502
    code = "payment_unavailable"


@dataclass(frozen=True)
class LineRequest:
    variant_id: int
    quantity: int


@dataclass(frozen=True)
class Attribution:
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    coupon_code: str = ""


def to_minor(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(minor_units(currency)).to_integral_value())


def lines_clean(lines: Sequence[LineRequest]) -> list[LineRequest]:
    """The requested lines, one per variant (quantities added), in variant id order; or
    a BuyNowError saying what is wrong."""
    if not lines:
        raise BuyNowError("Choose at least one product.", code="no_items")
    if len(lines) > settings.ORDERS_MAX_LINES:
        raise BuyNowError(
            f"An order holds at most {settings.ORDERS_MAX_LINES} products.", code="too_many_items"
        )
    merged: dict[int, int] = {}
    for line in lines:
        if not (isinstance(line.quantity, int) and not isinstance(line.quantity, bool)):
            raise BuyNowError("A quantity is a whole number.", code="invalid_quantity")
        if line.quantity < 1:
            raise BuyNowError("A quantity is at least 1.", code="invalid_quantity")
        merged[line.variant_id] = merged.get(line.variant_id, 0) + line.quantity
        if merged[line.variant_id] > settings.ORDERS_MAX_QUANTITY:
            raise BuyNowError(
                f"You can buy at most {settings.ORDERS_MAX_QUANTITY} of an item at once.",
                code="quantity_over_limit",
            )
    return [LineRequest(variant_id, quantity) for variant_id, quantity in sorted(merged.items())]


def _reserve_and_create(
    *,
    lines: list[LineRequest],
    email: str,
    shipping_address: Mapping[str, str],
    attribution: Attribution,
    payments: ShopPayments,
) -> Order:
    """Take the stock of every line and write the order (pending payment), in the
    caller's transaction. Stock rows are updated in variant id order, so two orders
    for the same variants never wait for each other in a cycle."""
    variants = {
        variant.id: variant
        for variant in Variant.objects.select_related("product").filter(
            id__in=[line.variant_id for line in lines]
        )
    }
    for line in lines:
        variant = variants.get(line.variant_id)
        if variant is None:
            raise NotForSale("That product is not sold in this shop.", code="unknown_variant")
        if variant.product.status != Product.Status.ACTIVE:
            raise NotForSale(f"{variant.product.title} is no longer for sale.")

    currency = shop_currency()
    with outbox_batch():
        for line in lines:
            variant = variants[line.variant_id]
            try:
                stock_adjust(variant=variant, delta=-line.quantity)
            except ValidationError:
                raise OutOfStock(
                    f"Sorry, {_line_title(variant)} is out of stock"
                    + ("." if line.quantity == 1 else " in that quantity.")
                ) from None

    subtotal = sum(
        (variants[line.variant_id].price * line.quantity for line in lines), Decimal("0.00")
    )
    amount_minor = to_minor(subtotal, currency)
    fee = 0
    if payments.credentials and payments.credentials.account_id:
        fee = amount_minor * settings.STRIPE_PLATFORM_FEE_BASIS_POINTS // 10_000
    order = Order.objects.create(
        email=email,
        shipping_address=dict(shipping_address),
        currency=currency,
        subtotal=subtotal,
        total=subtotal,
        amount_minor=amount_minor,
        application_fee_minor=fee,
        stripe_account_id=payments.credentials.account_id if payments.credentials else "",
        reserved_until=timezone.now() + timedelta(minutes=settings.ORDERS_RESERVATION_MINUTES),
        utm_source=attribution.utm_source[:100],
        utm_medium=attribution.utm_medium[:100],
        utm_campaign=attribution.utm_campaign[:100],
        coupon_code=attribution.coupon_code[:64],
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            variant=variants[line.variant_id],
            product_id=variants[line.variant_id].product_id,
            title=variants[line.variant_id].product.title,
            variant_title=" / ".join(variants[line.variant_id].options),
            sku=variants[line.variant_id].sku,
            unit_price=variants[line.variant_id].price,
            quantity=line.quantity,
            line_total=variants[line.variant_id].price * line.quantity,
        )
        for line in lines
    )
    return order


def _line_title(variant: Variant) -> str:
    options = " / ".join(variant.options)
    return f"{variant.product.title} ({options})" if options else variant.product.title


def order_buy_now(
    *,
    lines: Sequence[LineRequest],
    email: str,
    shipping_address: Mapping[str, str] | None = None,
    attribution: Attribution | None = None,
) -> tuple[Order, ShopPayments]:
    """Reserve the stock, create the order and its Stripe PaymentIntent.

    Prices, currency and totals come from the catalog, never from the caller. The
    reservation and the order are committed before Stripe is called (the variant rows
    stay locked only for a few milliseconds); if Stripe then fails, the stock is given
    back at once and PaymentUnavailable is raised. Raises a BuyNowError subclass for
    anything the shopper should be told.
    """
    payments = shop_payments()
    if not payments.can_sell:
        raise PaymentsNotSetUp("Payments are not set up for this shop yet; you cannot buy here.")
    try:
        validate_email(email)
    except ValidationError:
        raise BuyNowError("Enter a valid email address.", code="invalid_email") from None
    cleaned = lines_clean(lines)
    with transaction.atomic():
        order = _reserve_and_create(
            lines=cleaned,
            email=email,
            shipping_address=shipping_address or {},
            attribution=attribution or Attribution(),
            payments=payments,
        )
    assert payments.credentials is not None  # noqa: S101 (checked by can_sell)
    try:
        intent = stripe_client.payment_intent_create(
            credentials=payments.credentials,
            amount=order.amount_minor,
            currency=order.currency,
            metadata={"shop": connection.schema_name, "order": str(order.public_id)},
            idempotency_key=f"order-{order.public_id}",
            application_fee_amount=order.application_fee_minor,
        )
    except stripe_client.PaymentError as exc:
        logger.warning("buy-now: Stripe refused order %s: %s", order.number, exc)
        order_release(order=order, to=Status.CANCELLED, note="The payment could not be started.")
        raise PaymentUnavailable(
            "The payment could not be started; nothing was charged. Please try again."
        ) from None
    Order.objects.filter(id=order.id).update(
        payment_intent_id=intent.id, client_secret=intent.client_secret
    )
    order.payment_intent_id, order.client_secret = intent.id, intent.client_secret
    return order, payments


def _stock_return(order: Order) -> None:
    with outbox_batch():
        for line in order.lines.select_related("variant").order_by("variant_id"):
            if line.variant is not None:
                stock_adjust(variant=line.variant, delta=line.quantity)


def _stock_take_again(order: Order) -> bool:
    """Take the order's stock again (a late payment); False, with nothing taken, if any
    line's stock is gone."""
    try:
        with transaction.atomic(), outbox_batch():
            for line in order.lines.select_related("variant").order_by("variant_id"):
                if line.variant is None:
                    raise ValidationError("variant deleted")
                stock_adjust(variant=line.variant, delta=-line.quantity)
    except ValidationError:
        return False
    return True


@transaction.atomic
def order_release(*, order: Order, to: str, note: str) -> bool:
    """End an unpaid order (``to`` is cancelled) and give its stock back, once.

    Returns False (and changes nothing) if the order was paid or released meanwhile.
    """
    released = Order.objects.filter(
        id=order.id, stock_status=Stock.HELD, status=Status.PENDING_PAYMENT
    ).update(stock_status=Stock.RELEASED)
    if not released:
        return False
    order.stock_status = Stock.RELEASED
    _stock_return(order)
    order_transition(order=order, to=to, note=note[:255], cancelled_at=timezone.now())
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
        logger.error("order %s: paid %s %s, expected %s", order.number, payment.amount,
                     payment.currency, order.amount_minor)  # fmt: skip
        return order
    now = timezone.now()
    if order.stock_status == Stock.HELD:
        Order.objects.filter(id=order.id).update(stock_status=Stock.COMMITTED)
        order.stock_status = Stock.COMMITTED
        order_transition(order=order, to=Status.PAID, paid_at=now)
        _email_on_commit(order, "confirmation")
        return order
    if order.status != Status.CANCELLED or order.paid_at is not None:
        return order  # already paid, fulfilled or refunded: nothing new
    if _stock_take_again(order):
        Order.objects.filter(id=order.id).update(stock_status=Stock.COMMITTED)
        order.stock_status = Stock.COMMITTED
        order_transition(
            order=order, to=Status.PAID, paid_at=now, cancelled_at=None,
            note="Paid after its reservation had ended; the stock was reserved again.",
        )  # fmt: skip
        _email_on_commit(order, "confirmation")
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
        order=order, to=Status.REFUNDED, paid_at=now, refunded_minor=order.amount_minor,
        note="Paid after its reservation had ended and the stock had sold out: refunded.",
    )  # fmt: skip
    _email_on_commit(order, "refunded")
    return order


def order_payment_failed(*, order: Order, payments: ShopPayments, reason: str) -> Order:
    """A failed or cancelled payment: re-read the PaymentIntent (events may arrive out of
    order) and give the stock back unless the payment has in fact succeeded."""
    if payments.credentials is not None and order.payment_intent_id:
        intent = stripe_client.payment_intent_retrieve(
            credentials=payments.credentials, payment_intent_id=order.payment_intent_id
        )
        if intent.status == "succeeded":
            return order_payment_succeeded(order=order, payment=intent, payments=payments)
        if intent.status == "processing":
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
            intent = _payment_stop(order, payments)
        except stripe_client.PaymentError:
            continue  # Stripe unreachable: the next run tries again
        if intent is not None and intent.status in ("succeeded", "processing"):
            if intent.status == "succeeded":
                order_payment_succeeded(order=order, payment=intent, payments=payments)
            continue
        if order_release(order=order, to=Status.CANCELLED, note="The reservation expired."):
            released += 1
    return released


def _payment_stop(order: Order, payments: ShopPayments) -> stripe_client.PaymentIntent | None:
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


# --- Webhooks ----------------------------------------------------------------------------


def stripe_event_handle(*, event: stripe_client.Event, payments: ShopPayments) -> str:
    """Apply a verified Stripe event to this shop once. Returns what was done.

    The event id is recorded in the same transaction as its effect: a redelivery does
    nothing, and a failure (Stripe unreachable for a re-read) records nothing, so
    Stripe's retry will try again.
    """
    handler = EVENT_HANDLERS.get(event.type)
    if handler is None:
        return "ignored"
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(
                    event_id=event.id, type=event.type,
                    payment_intent_id=str(event.object.get("id", ""))[:255],
                )  # fmt: skip
        except IntegrityError:
            return "duplicate"
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


# --- Buy-now idempotency -------------------------------------------------------------------


IDEMPOTENCY_STALE_AFTER = timedelta(minutes=2)


class IdempotencyConflict(BuyNowError):
    status = 409
    code = "idempotency_conflict"


def idempotency_claim(*, key: str, request_hash: str) -> IdempotencyKey | None:
    """Claim ``key`` for a new request (returns None), or return the finished answer
    stored for it. Raises IdempotencyConflict if the key was used with another body or
    its first request is still being answered."""
    if not key or len(key) > 255:
        raise BuyNowError("The Idempotency-Key header is 1 to 255 characters.", code="bad_key")
    record, created = IdempotencyKey.objects.get_or_create(
        key=key, defaults={"request_hash": request_hash}
    )
    if created:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyConflict("This Idempotency-Key was already used with a different request.")
    if record.status is None and record.created < timezone.now() - IDEMPOTENCY_STALE_AFTER:
        # its first request died half-way (the process was killed): let this one retry
        taken = IdempotencyKey.objects.filter(id=record.id, status=None, created=record.created)
        if taken.update(created=timezone.now()):
            return None
    if record.status is None:
        raise IdempotencyConflict(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            code="idempotency_in_progress",
        )
    return record


def idempotency_finish(*, key: str, status: int, response: dict | None) -> None:
    """Store the answer given for ``key``; ``response`` None forgets the key (the
    request failed in a way worth retrying)."""
    if response is None:
        IdempotencyKey.objects.filter(key=key).delete()
    else:
        IdempotencyKey.objects.filter(key=key).update(status=status, response=response)


# --- Merchant actions -----------------------------------------------------------------------


class OrderActionError(Exception):
    """A merchant action that cannot be done; the message says why."""


@transaction.atomic
def order_fulfil(*, order: Order, tracking_number: str = "") -> Order:
    """Mark a paid order shipped and email the shopper (with the tracking number)."""
    try:
        order_transition(
            order=order, to=Status.FULFILLED,
            tracking_number=tracking_number.strip()[:100], fulfilled_at=timezone.now(),
        )  # fmt: skip
    except TransitionError as exc:
        raise OrderActionError(str(exc)) from None
    _email_on_commit(order, "shipped")
    return order


def order_cancel(*, order: Order) -> Order:
    """Cancel an unpaid order: cancel its PaymentIntent and give the stock back."""
    if order.status != Status.PENDING_PAYMENT:
        raise OrderActionError(
            f"Order {order.number} is {order.get_status_display().lower()}; "
            "refund a paid order instead."
        )
    try:
        intent = _payment_stop(order, shop_payments())
    except stripe_client.PaymentError as exc:
        raise OrderActionError(f"Stripe did not cancel the payment ({exc}); try again.") from None
    if intent is not None and intent.status in ("succeeded", "processing"):
        raise OrderActionError(
            f"Order {order.number} has just been paid at Stripe; refund it instead."
        )
    if not order_release(order=order, to=Status.CANCELLED, note="Cancelled by the merchant."):
        raise OrderActionError(f"Order {order.number} was paid or ended meanwhile.")
    return order


def order_refund(*, order: Order, amount: Decimal | None = None) -> Order:
    """Refund a paid order through Stripe, in full (``amount`` None) or in part."""
    if order.status == Status.REFUNDED:
        raise OrderActionError(f"Order {order.number} is refunded in full already.")
    if order.paid_at is None or not can_transition(order, Status.REFUNDED):
        raise OrderActionError(f"Order {order.number} is not paid; there is nothing to refund.")
    remaining = order.amount_minor - order.refunded_minor
    amount_minor = remaining if amount is None else to_minor(amount, order.currency)
    if not 0 < amount_minor <= remaining:
        raise OrderActionError(
            f"Refund between 0 and {Decimal(remaining).scaleb(-minor_units(order.currency))} "
            f"{order.currency}."
        )
    payments = shop_payments()
    if payments.credentials is None:
        raise OrderActionError(payments.problem)
    try:
        stripe_client.refund_create(
            credentials=payments.credentials,
            payment_intent_id=order.payment_intent_id,
            amount=amount_minor,
            idempotency_key=f"refund-{order.public_id}-{order.refunded_minor}-{amount_minor}",
        )
    except stripe_client.PaymentError as exc:
        raise OrderActionError(f"Stripe did not refund: {exc}") from None
    refunded = order.refunded_minor + amount_minor
    with transaction.atomic():
        order_transition(
            order=order,
            to=Status.REFUNDED if refunded >= order.amount_minor else Status.PARTIALLY_REFUNDED,
            refunded_minor=refunded,
        )
        _email_on_commit(order, "refunded")
    return order


# --- Emails ---------------------------------------------------------------------------------

EMAIL_SUBJECTS = {
    "confirmation": "Your order {number} is confirmed",
    "shipped": "Your order {number} is on its way",
    "refunded": "Your order {number} was refunded",
}


def _email_on_commit(order: Order, kind: str) -> None:
    from orders.tasks import order_email

    order_id = order.id
    transaction.on_commit(lambda: order_email.delay(order_id, kind))


def order_email_send(*, order_id: int, kind: str) -> bool:
    """Email the shopper about their order (confirmation, shipped, refunded)."""
    order = Order.objects.prefetch_related("lines").filter(id=order_id).first()
    if order is None or kind not in EMAIL_SUBJECTS:
        return False
    shop = connection.tenant
    context = {"order": order, "lines": list(order.lines.all()), "shop": shop}
    send_mail(
        subject=EMAIL_SUBJECTS[kind].format(number=order.number),
        message=render_to_string(f"orders/email/{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[order.email],
    )
    return True
