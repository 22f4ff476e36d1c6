"""Emails to the shopper about their order: an ``OrderEmail`` row written with the change,
sent by a Celery task after the commit, swept again by the beat until it went out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from orders.carriers import tracking_url
from orders.links import (
    checkout_refill_path,
    my_data_path,
    order_page_path,
)
from orders.models import Fulfilment, Order, OrderActivity, OrderEmail
from orders.receipts import order_parcel, order_receipt
from orders.services.activity import order_activity_add
from orders.services.recovery import checkout_reminder_still_wanted, checkout_reminders_record
from shops.consent.models import MarketingHeld
from shops.consent.services import marketing_allowed, marketing_message, unsubscribe_url
from shops.models import Shop
from shops.queueing import task_queue, task_queue_on_commit
from shops.selectors import current_shop, shop_url

EMAIL_SUBJECTS = {
    "confirmation": "Your order {number} is confirmed",
    "shipped": "Your order {number} is on its way",
    "refunded": "Your order {number} was refunded",
    "recovery": "Your bag at {shop} is waiting for you",
}


def order_email_on_commit(
    order: Order, kind: str, *, fulfilment: Fulfilment | None = None
) -> OrderEmail:
    """Record the email ``kind`` about ``order`` (a shipped email: about ``fulfilment``,
    the parcel) in the current transaction and queue its sending once the transaction
    commits."""
    email = OrderEmail.objects.create(order=order, kind=kind, fulfilment=fulfilment)
    task_queue_on_commit("orders.order_email", email.pk)
    return email


def order_email_send(*, email_id: int) -> bool:
    """Send one recorded order email unless it went out already or another run is sending
    it (its row is locked while sent); True when this call sent it. A mail server error
    propagates (the task retries it) and leaves the row unsent, its attempt counted.
    A checkout reminder is marketing: one no longer wanted (the shopper paid or opted out
    since, the shop turned reminders off) or that the consent gate refuses
    (``marketing_allowed``) is deleted unsent; one sent carries the one-click unsubscribe
    (``marketing_message``)."""
    try:
        with transaction.atomic():
            email = (
                OrderEmail.objects.select_for_update(skip_locked=True)
                .filter(pk=email_id, sent_at__isnull=True)
                .first()
            )
            if email is None:
                return False
            order = Order.objects.prefetch_related("lines").get(pk=email.order_id)
            is_reminder = email.kind == OrderEmail.Kind.RECOVERY
            if is_reminder and not (
                checkout_reminder_still_wanted(order=order)
                and marketing_allowed(
                    order.email,
                    kind=MarketingHeld.Kind.CHECKOUT_REMINDER,
                    currency=order.currency,
                    shopper_country=(order.shipping_address or {}).get("country", ""),
                )
            ):
                email.delete()
                return False
            if email.fulfilment_id is not None:
                email.fulfilment = Fulfilment.objects.prefetch_related("lines__order_line").get(
                    pk=email.fulfilment_id
                )
            shop = current_shop()  # also under a task's stand-in tenant
            subject = EMAIL_SUBJECTS[email.kind].format(number=order.number, shop=shop.name)
            context = order_email_context(
                order=order, shop=shop, subject=subject, fulfilment=email.fulfilment
            )
            if is_reminder:
                context |= _reminder_context(order=order, shop=shop)
                message = marketing_message(
                    to=order.email,
                    subject=subject,
                    text=render_to_string(f"orders/email/{email.kind}.txt", context),
                    html=render_to_string(f"orders/email/{email.kind}.html", context),
                    link=context["opt_out_url"],
                )
            else:
                message = EmailMultiAlternatives(
                    subject=subject,
                    body=render_to_string(f"orders/email/{email.kind}.txt", context),
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[order.email],
                )
                message.attach_alternative(
                    render_to_string(f"orders/email/{email.kind}.html", context), "text/html"
                )
            message.send()
            email.sent_at = timezone.now()
            email.attempt_count = F("attempt_count") + 1
            email.save(update_fields=["sent_at", "attempt_count"])
            order_activity_add(
                order=order,
                kind=OrderActivity.Kind.EMAIL,
                message=f"To {order.email}: “{subject}”.",
            )
    except OSError as error:  # smtplib's errors are OSErrors
        OrderEmail.objects.filter(pk=email_id).update(
            attempt_count=F("attempt_count") + 1, last_error=f"{type(error).__name__}: {error}"
        )
        raise
    return True


def order_email_context(
    *, order: Order, shop: Shop, subject: str, fulfilment: Fulfilment | None = None
) -> dict[str, Any]:
    """What an order email shows (its plain text and HTML alike): the receipt, the
    parcel of a shipped email (what it holds, its carrier and tracking link: the
    order's last ones for an order shipped before parcels were kept), and the signed
    link to the shopper's order page."""
    parcel = order_parcel(fulfilment) if fulfilment is not None else None
    carrier = parcel.carrier if parcel else order.carrier
    tracking_number = parcel.tracking_number if parcel else order.tracking_number
    return {
        "order": order,
        "shop": shop,
        "subject": subject,
        "receipt": order_receipt(order=order),
        "parcel": parcel,
        "is_partial": order.status == Order.Status.PARTIALLY_FULFILLED,
        "carrier": carrier,
        "tracking_number": tracking_number,
        "order_url": shop_url(shop) + order_page_path(order=order),
        "tracking_url": tracking_url(carrier=carrier, tracking_number=tracking_number),
        "my_data_url": shop_url(shop) + my_data_path(),
    }


def _reminder_context(*, order: Order, shop: Shop) -> dict[str, Any]:
    """A checkout reminder's links: back to checkout with the same items (no personal
    data in it), and the one-click unsubscribe of every marketing email; no order page
    (there is no order)."""
    return {
        "order_url": "",
        "checkout_url": shop_url(shop) + checkout_refill_path(order=order),
        "opt_out_url": unsubscribe_url(email=order.email),
        "my_data_url": shop_url(shop) + my_data_path(),
    }


def order_emails_sweep() -> int:
    """Record the checkout reminders that became due (``checkout_reminders_record``),
    then queue the order emails still unsent a while after they were recorded (their
    queueing failed, or their task gave up), up to ORDERS_EMAIL_MAX_ATTEMPTS tries each;
    returns how many were queued."""
    checkout_reminders_record()
    cutoff = timezone.now() - timedelta(seconds=settings.QUEUE_SWEEP_AFTER_SECONDS)
    ids = list(
        OrderEmail.objects.filter(
            sent_at__isnull=True,
            created__lte=cutoff,
            attempt_count__lt=settings.ORDERS_EMAIL_MAX_ATTEMPTS,
        ).values_list("pk", flat=True)[:500]
    )
    return sum(task_queue("orders.order_email", email_id) for email_id in ids)
