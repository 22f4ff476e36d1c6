"""Checkout reminders: an email to a shopper who left a checkout unpaid, when the shop
turned them on (``checkout_recovery_set``; off by default).

The beat's ``orders.emails_sweep`` calls ``checkout_reminders_record``: each checkout
that ended unpaid at least ORDERS_RECOVERY_EMAIL_DELAY_SECONDS ago gets one ``OrderEmail``
of kind ``recovery`` (a unique constraint keeps it to one), which the worker sends like
any order email (``orders.services.emails``). Checked again when sent: a shopper who
paid since, opted out, or a shop that turned reminders off meanwhile gets nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from orders.models import CheckoutRecovery, Order, OrderEmail, RecoveryOptOut
from orders.pricing import email_normalise
from orders.status import MERCHANT_CANCEL_NOTE
from shops.consent.models import MarketingConsent
from shops.consent.services import consent_withdraw
from shops.queueing import task_queue_on_commit

# a reminder is for a checkout left recently: one older than this is let go
REMINDER_MAX_AGE = timedelta(days=7)


def checkout_recovery_set(*, is_enabled: bool) -> CheckoutRecovery:
    """Turn checkout reminders on or off for the shop. Turning them on starts the clock:
    only checkouts begun from now on get one."""
    with transaction.atomic():
        recovery, _created = CheckoutRecovery.objects.select_for_update().get_or_create(id=1)
        if is_enabled and not recovery.is_enabled:
            recovery.enabled_at = timezone.now()
        recovery.is_enabled = is_enabled
        recovery.save()
    return recovery


def _reminder_wanted(checkouts: QuerySet[Order], recovery: CheckoutRecovery) -> QuerySet[Order]:
    """``checkouts`` narrowed to those a reminder may go to: ended unpaid (not by the
    merchant), begun since reminders were turned on, the shopper not opted out and
    without a later checkout or order of theirs (paid or not: that one is the one to
    remind them of, or they paid)."""
    later = Order.objects.filter(email__iexact=OuterRef("email"), created__gt=OuterRef("created"))
    opted_out = RecoveryOptOut.objects.filter(email__iexact=OuterRef("email"))
    unsubscribed = MarketingConsent.objects.filter(
        email=Lower(OuterRef("email")), status=MarketingConsent.Status.WITHDRAWN
    )
    return (
        checkouts.filter(
            paid_at__isnull=True,
            status=Order.Status.CANCELLED,
            created__gte=recovery.enabled_at,
        )
        .exclude(note=MERCHANT_CANCEL_NOTE)
        .exclude(Exists(later))
        .exclude(Exists(opted_out))
        .exclude(Exists(unsubscribed))
    )


def _recovery_on() -> CheckoutRecovery | None:
    recovery = CheckoutRecovery.objects.filter(id=1, is_enabled=True).first()
    return recovery if recovery is not None and recovery.enabled_at is not None else None


def checkout_reminders_record(*, now: datetime | None = None) -> int:
    """Record the reminder of each checkout that became due (ended unpaid
    ORDERS_RECOVERY_EMAIL_DELAY_SECONDS ago, at most a week), and queue its sending
    after the commit; how many were recorded. Nothing when the shop has reminders off."""
    recovery = _recovery_on()
    if recovery is None:
        return 0
    now = now or timezone.now()
    due_before = now - timedelta(seconds=settings.ORDERS_RECOVERY_EMAIL_DELAY_SECONDS)
    reminded = OrderEmail.objects.filter(order=OuterRef("pk"), kind=OrderEmail.Kind.RECOVERY)
    due = _reminder_wanted(
        Order.objects.filter(cancelled_at__lte=due_before, cancelled_at__gt=now - REMINDER_MAX_AGE)
        .exclude(Exists(reminded))
        .order_by("cancelled_at"),
        recovery,
    )[:200]
    recorded = 0
    for checkout in due:
        try:
            with transaction.atomic():
                email = OrderEmail.objects.create(order=checkout, kind=OrderEmail.Kind.RECOVERY)
        except IntegrityError:  # another sweep recorded it meanwhile
            continue
        task_queue_on_commit("orders.order_email", email.pk)
        recorded += 1
    return recorded


def checkout_reminder_still_wanted(*, order: Order) -> bool:
    """Whether the reminder of ``order`` should still go out as it is sent: reminders
    still on, the checkout still unpaid, no later checkout or order by the shopper,
    not opted out."""
    recovery = _recovery_on()
    if recovery is None:
        return False
    return _reminder_wanted(Order.objects.filter(pk=order.pk), recovery).exists()


def recovery_opt_out(*, email: str) -> RecoveryOptOut:
    """Send no more checkout reminders to ``email`` (from the stop link of a reminder
    sent before reminders carried the one-click unsubscribe): the address's marketing
    consent is withdrawn, as the unsubscribe link does; asking again changes nothing."""
    consent_withdraw(email=email, via="checkout reminder link")
    opt_out, _created = RecoveryOptOut.objects.get_or_create(email=email_normalise(email))
    return opt_out
