"""Writes of the orders app, by topic: ``buy_now`` (reservation, order,
PaymentIntent), ``payments`` (webhook events, paid / failed / expired orders and their
stock), ``payment_health`` (webhooks seen, held orders settled without their event), ``merchant``
(fulfil, cancel, refund) and ``emails``. Import from here."""

from orders.services.buy_now import (
    Attribution,
    BuyNowError,
    CheckoutExpired,
    LineRequest,
    NotForSale,
    OutOfStock,
    PaymentsNotSetUp,
    PaymentUnavailable,
    lines_clean,
    order_buy_now,
    order_payment_start,
    to_minor,
)
from orders.services.emails import order_email_on_commit, order_email_send, order_emails_sweep
from orders.services.merchant import OrderActionError, order_cancel, order_fulfil, order_refund
from orders.services.payment_health import (
    payment_health_bad_signature,
    payment_health_email_send,
    payment_health_webhook_received,
    payments_settle_held,
)
from orders.services.payments import (
    ACCOUNT_EVENT_HANDLERS,
    EVENT_HANDLERS,
    order_payment_failed,
    order_payment_succeeded,
    order_release,
    payment_intent_stop,
    reservations_expire,
    stripe_event_handle,
)

__all__ = [
    "ACCOUNT_EVENT_HANDLERS",
    "EVENT_HANDLERS",
    "Attribution",
    "BuyNowError",
    "CheckoutExpired",
    "LineRequest",
    "NotForSale",
    "OrderActionError",
    "OutOfStock",
    "PaymentUnavailable",
    "PaymentsNotSetUp",
    "lines_clean",
    "order_buy_now",
    "order_cancel",
    "order_email_on_commit",
    "order_email_send",
    "order_emails_sweep",
    "order_fulfil",
    "order_payment_failed",
    "order_payment_start",
    "order_payment_succeeded",
    "order_refund",
    "order_release",
    "payment_health_bad_signature",
    "payment_health_email_send",
    "payment_health_webhook_received",
    "payment_intent_stop",
    "payments_settle_held",
    "reservations_expire",
    "stripe_event_handle",
    "to_minor",
]  # fmt: skip
