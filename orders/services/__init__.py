"""Writes of the orders app, by topic: ``buy_now`` (reservation, order,
PaymentIntent), ``payments`` (webhook events, paid / failed / expired orders and their
stock), ``recovery`` (checkout reminders), ``payment_health`` (webhooks seen, held
orders settled without their event), ``balance`` (a Connect shop's fees and payouts),
``merchant`` (fulfil, cancel, refund), ``emails``, and the pricing rules: ``shipping`` (zones and
rates), ``taxes`` (rates, tax-inclusive prices) and ``discounts`` (codes, their uses).
Import from here; what a checkout costs is read with ``orders.pricing``."""

from orders.services.balance import order_fees_fetch, payouts_refresh
from orders.services.buy_now import (
    Attribution,
    BuyNowError,
    CheckoutExpired,
    LineRequest,
    NotForSale,
    OutOfStock,
    PaymentsNotSetUp,
    PaymentUnavailable,
    TotalChanged,
    buy_now_quote,
    checkout_variants,
    lines_clean,
    order_buy_now,
    order_payment_start,
)
from orders.services.discounts import (
    discount_clean,
    discount_create,
    discount_delete,
    discount_redeem,
    discount_release,
    discount_update,
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
from orders.services.recovery import (
    checkout_recovery_set,
    checkout_reminders_record,
    recovery_opt_out,
)
from orders.services.shipping import (
    shipping_rate_clean,
    shipping_rate_create,
    shipping_rate_delete,
    shipping_rate_update,
    shipping_zone_clean,
    shipping_zone_create,
    shipping_zone_delete,
    shipping_zone_update,
)
from orders.services.taxes import (
    tax_rate_clean,
    tax_rate_create,
    tax_rate_delete,
    tax_rate_update,
    tax_settings_set,
)
from shops.currencies import to_minor

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
    "TotalChanged",
    "buy_now_quote",
    "checkout_recovery_set",
    "checkout_reminders_record",
    "checkout_variants",
    "discount_clean",
    "discount_create",
    "discount_delete",
    "discount_redeem",
    "discount_release",
    "discount_update",
    "lines_clean",
    "order_buy_now",
    "order_cancel",
    "order_email_on_commit",
    "order_email_send",
    "order_emails_sweep",
    "order_fees_fetch",
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
    "payouts_refresh",
    "recovery_opt_out",
    "reservations_expire",
    "shipping_rate_clean",
    "shipping_rate_create",
    "shipping_rate_delete",
    "shipping_rate_update",
    "shipping_zone_clean",
    "shipping_zone_create",
    "shipping_zone_delete",
    "shipping_zone_update",
    "stripe_event_handle",
    "tax_rate_clean",
    "tax_rate_create",
    "tax_rate_delete",
    "tax_rate_update",
    "tax_settings_set",
    "to_minor",
]
