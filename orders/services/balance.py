"""What a Connect shop earns and is paid: each payment's fees and net (its Stripe balance
transaction) and the connected account's payouts, fetched by the worker, never by a
request, and kept on the order and the payment account for the admin to show.

A payment's fees are asked for when it is paid (``orders.order_fees_fetch``, queued on
commit) and again by the beat (``orders.payouts_refresh``, every
PAYOUTS_REFRESH_INTERVAL_SECONDS, which also lists the payouts) while Stripe had none
yet. Stripe unreachable leaves what was known, with the problem said.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from orders import stripe_client
from orders.models import Order, PaymentAccount
from orders.payment_accounts import shop_payments

logger = logging.getLogger(__name__)

FEES_LOOKBACK = timedelta(days=7)
"""How long after a payment the beat keeps asking for its fees."""

PAID_STATUSES = (
    Order.Status.PAID,
    Order.Status.PARTIALLY_FULFILLED,
    Order.Status.FULFILLED,
    Order.Status.PARTIALLY_REFUNDED,
    Order.Status.REFUNDED,
)


def _connect_credentials(account_id: str) -> stripe_client.Credentials | None:
    """The platform's credentials acting on the shop's connected account
    ``account_id``, or None when the shop's payments are not that account's."""
    payments = shop_payments()
    credentials = payments.credentials
    if credentials is None or not account_id or credentials.account_id != account_id:
        return None
    return credentials


def order_fees_fetch(*, order_id: int) -> bool:
    """Ask Stripe what the payment of a Connect order left the shop (Stripe's fee, the
    platform's fee, the net) and keep it on the order; True when known now. An order
    of the shop's own keys, unpaid or known already is left alone. Stripe unreachable
    raises ``stripe_client.PaymentRetryableError`` (the task retries)."""
    order = (
        Order.objects.filter(id=order_id, status__in=PAID_STATUSES, fees_checked_at__isnull=True)
        .exclude(payment_intent_id="")
        .first()
    )
    if order is None:
        return False
    credentials = _connect_credentials(order.stripe_account_id)
    if credentials is None:
        return False
    fees = stripe_client.payment_fees(
        credentials=credentials, payment_intent_id=order.payment_intent_id
    )
    if fees is None:
        return False  # no balance transaction yet: the beat asks again
    Order.objects.filter(id=order.id).update(
        stripe_fee_minor=fees.stripe_fee,
        application_fee_minor=fees.application_fee,
        net_minor=fees.net,
        fees_checked_at=timezone.now(),
    )
    return True


def payouts_refresh() -> int:
    """For a Connect shop: list its connected account's latest payouts and keep them
    on its payment account, then ask for the fees of its recent paid orders still
    unknown. Returns how many orders' fees became known. Stripe failing is recorded
    (``payouts_problem``) and the payouts known before are kept."""
    account = (
        PaymentAccount.objects.filter(id=1, mode=PaymentAccount.Mode.CONNECT)
        .exclude(stripe_account_id="")
        .first()
    )
    if account is None:
        return 0
    credentials = _connect_credentials(account.stripe_account_id)
    if credentials is None:
        return 0
    now = timezone.now()
    try:
        payouts = stripe_client.payouts_list(credentials=credentials, limit=10)
    except stripe_client.PaymentError as error:
        logger.warning("payouts of %s: Stripe could not say (%s)", account.stripe_account_id, error)
        PaymentAccount.objects.filter(id=1).update(
            payouts_problem=f"Stripe could not be reached ({error})."[:255]
        )
        return 0
    PaymentAccount.objects.filter(id=1).update(
        payouts=[
            {
                "id": payout.id,
                "amount": payout.amount,
                "currency": payout.currency,
                "status": payout.status,
                "arrival_date": payout.arrival_date.isoformat() if payout.arrival_date else "",
                "failure_message": payout.failure_message,
            }
            for payout in payouts
        ],
        payouts_checked_at=now,
        payouts_problem="",
    )
    unknown = Order.objects.filter(
        status__in=PAID_STATUSES,
        fees_checked_at__isnull=True,
        stripe_account_id=account.stripe_account_id,
        paid_at__gte=now - FEES_LOOKBACK,
    ).values_list("id", flat=True)[:50]
    known = 0
    for order_id in unknown:
        try:
            known += order_fees_fetch(order_id=order_id)
        except stripe_client.PaymentError as error:
            logger.warning("fees of order %s: Stripe could not say (%s)", order_id, error)
            break
    return known
