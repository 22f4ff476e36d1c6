"""Payment health: whether the shop's Stripe webhooks arrive, and the check that settles
held orders whose event never came.

Each webhook updates the shop's one ``PaymentHealth`` row in place (a few counters and
last-seen fields, nothing that grows per request). The beat task
``orders.payments_settle_held`` asks Stripe about held orders near the end of their
reservation and settles them through the webhook's own services, so a lost or refused
webhook never loses a paid order; each one it finds paid is a failure of the webhook,
counted, and it marks the shop's payments broken. The owner is emailed once when they
break and once when a verified webhook shows they work again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.expressions import Combinable
from django.template.loader import render_to_string
from django.utils import timezone

from orders import stripe_client
from orders.models import Order, PaymentHealth
from orders.payment_accounts import ShopPayments, shop_payments
from orders.services.payments import order_payment_succeeded, order_release
from shops.queueing import task_queue, task_queue_on_commit
from shops.selectors import current_shop

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
"""Signature failures are counted over a window that starts at the first failure and
restarts at the first failure after it is this old."""

OWNER_EMAIL_SUBJECTS = {
    True: "Payments at {shop} are not reaching the shop",
    False: "Payments at {shop} work again",
}


class HealthChanges(TypedDict, total=False):
    """What an update of the shop's health row sets: values, or expressions on the row
    (``F("unsettled_count") + 1``, the windows' ``Case``)."""

    last_webhook_at: datetime
    last_webhook_type: str
    bad_signature_count: Combinable
    bad_signature_since: Combinable
    bad_signature_last_at: datetime
    unmatched_signature_count: Combinable
    unmatched_signature_since: Combinable
    unmatched_signature_last_at: datetime
    unsettled_count: Combinable
    unsettled_last_at: datetime
    unsettled_last_order: str


def _health_update(*, changes: HealthChanges) -> None:
    """Apply ``changes`` to the shop's health row, creating it."""
    if PaymentHealth.objects.filter(id=1).update(**changes):
        return
    try:
        with transaction.atomic():
            PaymentHealth.objects.create(id=1)
    except IntegrityError:
        pass  # created meanwhile by another request
    PaymentHealth.objects.filter(id=1).update(**changes)


def _windowed(prefix: str, now: datetime) -> tuple[Combinable, Combinable]:
    """The new ``<prefix>_count`` and ``<prefix>_since`` of a window (see WINDOW) for
    one more failure."""
    expired = Q(**{f"{prefix}_since__isnull": True}) | Q(**{f"{prefix}_since__lt": now - WINDOW})
    return (
        Case(When(expired, then=Value(1)), default=F(f"{prefix}_count") + 1),
        Case(When(expired, then=Value(now)), default=F(f"{prefix}_since")),
    )


def _signature_failure(*, matched: bool, now: datetime) -> HealthChanges:
    """One more bad signature (``matched``: the payload named one of the shop's orders)
    or unmatched one, in its window."""
    if matched:
        count, since = _windowed("bad_signature", now)
        return {
            "bad_signature_count": count,
            "bad_signature_since": since,
            "bad_signature_last_at": now,
        }
    count, since = _windowed("unmatched_signature", now)
    return {
        "unmatched_signature_count": count,
        "unmatched_signature_since": since,
        "unmatched_signature_last_at": now,
    }


def payment_health_bad_signature(*, order_public_id: str, payment_intent_id: str) -> bool:
    """Count a webhook request for this shop whose signature did not verify. The
    payload is unverified: when it names one of the shop's orders with that order's
    PaymentIntent it is most likely Stripe's, signed with another secret (counted as a
    bad signature); otherwise it is only a hint, counted apart. Returns which."""
    try:
        matched = (
            bool(payment_intent_id)
            and Order.objects.filter(
                public_id=order_public_id, payment_intent_id=payment_intent_id
            ).exists()
        )
    except ValidationError:  # not a UUID
        matched = False
    _health_update(changes=_signature_failure(matched=matched, now=timezone.now()))
    return matched


PAYMENT_EVENT_PREFIXES = ("payment_intent.", "charge.")
"""The events that show the shop's payment webhooks work: a payment's own events.
``account.updated`` and the like come on the platform's endpoint whatever the shop's
payments do, so they prove nothing about them."""


def is_payment_event(event_type: str) -> bool:
    """Whether an event of ``event_type`` is about a payment (see PAYMENT_EVENT_PREFIXES)."""
    return event_type.startswith(PAYMENT_EVENT_PREFIXES)


@transaction.atomic
def payment_health_webhook_received(*, event_type: str) -> bool:
    """A verified webhook arrived for this shop. A payment's event shows its payments
    work (again): recorded as the last webhook received, clearing a broken state; any
    other event (``account.updated``…) is no proof and changes nothing. True when
    recorded."""
    if not is_payment_event(event_type):
        return False
    now = timezone.now()
    seen: HealthChanges = {"last_webhook_at": now, "last_webhook_type": event_type[:100]}
    if PaymentHealth.objects.filter(id=1, is_broken=True).update(
        is_broken=False, broken_since=None, **seen
    ):
        task_queue_on_commit("orders.payment_health_email")
        return True
    _health_update(changes=seen)
    return True


@transaction.atomic
def payment_health_settled_without_event(*, order: Order) -> None:
    """Count a PaymentIntent that succeeded at Stripe whose event never arrived, and mark
    the shop's payments broken (the owner is emailed if they were not already)."""
    now = timezone.now()
    _health_update(
        changes={
            "unsettled_count": F("unsettled_count") + 1,
            "unsettled_last_at": now,
            "unsettled_last_order": order.number,
        }
    )
    if PaymentHealth.objects.filter(id=1, is_broken=False).update(is_broken=True, broken_since=now):
        task_queue_on_commit("orders.payment_health_email")


def payments_settle_held(*, now: datetime | None = None) -> int:
    """Ask Stripe about the held orders whose reservation ends within
    PAYMENTS_SETTLE_BEFORE_EXPIRY_SECONDS, or that are older than
    PAYMENTS_SETTLE_AFTER_SECONDS, and settle them as the webhook would have: paid
    (stock sold, confirmation emailed), or released if the PaymentIntent was cancelled.
    Also queues an owner email still due. Returns how many orders were settled."""
    now = now or timezone.now()
    payment_health_email_sweep()
    payments = shop_payments()
    if payments.credentials is None:
        return 0
    near = now + timedelta(seconds=settings.PAYMENTS_SETTLE_BEFORE_EXPIRY_SECONDS)
    old = now - timedelta(seconds=settings.PAYMENTS_SETTLE_AFTER_SECONDS)
    held = list(
        Order.objects.filter(stock_status=Order.Stock.HELD, status=Order.Status.PENDING_PAYMENT)
        .exclude(payment_intent_id="")
        .filter(Q(reserved_until__lte=near) | Q(created__lte=old))
        .order_by("reserved_until")[:200]
    )
    settled = 0
    for order in held:
        try:
            intent = stripe_client.payment_intent_retrieve(
                credentials=payments.credentials, payment_intent_id=order.payment_intent_id
            )
            if intent.status == "succeeded":
                settled += _settle_paid(order=order, intent=intent, payments=payments)
            elif intent.status == "canceled":
                settled += order_release(
                    order=order, to=Order.Status.CANCELLED, note="The payment was cancelled."
                )
        except stripe_client.PaymentError as error:
            logger.warning("order %s: Stripe could not say (%s)", order.number, error)
    return settled


@transaction.atomic
def _settle_paid(
    *, order: Order, intent: stripe_client.PaymentIntent, payments: ShopPayments
) -> bool:
    still_held = Order.objects.select_for_update().filter(
        id=order.id, stock_status=Order.Stock.HELD, status=Order.Status.PENDING_PAYMENT
    )
    if not still_held.exists():
        return False  # its event arrived meanwhile
    order = order_payment_succeeded(order=order, payment=intent, payments=payments)
    if order.paid_at is None:
        return False  # amount or currency differ: logged there, left alone
    payment_health_settled_without_event(order=order)
    return True


def payment_health_email_send() -> bool:
    """Tell the shop's owner that payments broke or work again, if the last email said
    otherwise; True when this call sent one. The row is locked while sending, so two
    runs never send it twice; a mail server error propagates (the task retries)."""
    with transaction.atomic():
        health = PaymentHealth.objects.select_for_update(skip_locked=True).filter(id=1).first()
        if health is None or health.is_broken == health.owner_told_broken:
            return False
        shop = current_shop()
        send_mail(
            subject=OWNER_EMAIL_SUBJECTS[health.is_broken].format(shop=shop.name),
            message=render_to_string(
                "orders/email/payments_broken.txt"
                if health.is_broken
                else "orders/email/payments_recovered.txt",
                {"shop": shop, "health": health},
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[shop.owner_email],
        )
        health.owner_told_broken = health.is_broken
        health.save(update_fields=["owner_told_broken"])
    return True


def payment_health_email_sweep() -> bool:
    """Queue the owner's email again if it is due (its queueing failed)."""
    if PaymentHealth.objects.filter(id=1).exclude(is_broken=F("owner_told_broken")).exists():
        return task_queue("orders.payment_health_email")
    return False
