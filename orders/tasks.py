"""Order work on the Celery worker, in the schema of the shop that queued it."""

from __future__ import annotations

from celery import shared_task

from orders import services, stripe_client, wallets
from shops.tasks import MAIL_RETRY


@shared_task(name="orders.reservations_expire", acks_late=True)
def reservations_expire() -> int:
    """Give back the stock of unpaid orders whose reservation ran out (beat, every shop
    through ``shops.for_each_shop``)."""
    return services.reservations_expire()


@shared_task(name="orders.order_email", max_retries=5, **MAIL_RETRY)
def order_email(email_id: int) -> bool:
    """Send one recorded order email (confirmation, shipped, refunded), at most once."""
    return services.order_email_send(email_id=email_id)


@shared_task(name="orders.emails_sweep", acks_late=True)
def emails_sweep() -> int:
    """Queue order emails that were never sent (beat, every shop)."""
    return services.order_emails_sweep()


@shared_task(name="orders.payments_settle_held", acks_late=True)
def payments_settle_held() -> int:
    """Settle held orders whose payment succeeded or was cancelled at Stripe without
    their event reaching the shop (beat, every shop)."""
    return services.payments_settle_held()


@shared_task(name="orders.payment_health_email", max_retries=5, **MAIL_RETRY)
def payment_health_email() -> bool:
    """Tell the shop's owner that payments broke or work again (once per change)."""
    return services.payment_health_email_send()


@shared_task(
    name="orders.order_fees_fetch",
    autoretry_for=(stripe_client.PaymentRetryableError,),
    retry_backoff=30,
    max_retries=5,
)
def order_fees_fetch(order_id: int) -> bool:
    """Keep what a Connect order's payment left the shop (fees, net), from Stripe."""
    return services.order_fees_fetch(order_id=order_id)


@shared_task(name="orders.payouts_refresh", acks_late=True)
def payouts_refresh() -> int:
    """List a Connect shop's payouts and the fees still unknown (beat, every shop)."""
    return services.payouts_refresh()


@shared_task(
    name="orders.wallet_domains_register",
    autoretry_for=(stripe_client.PaymentRetryableError,),
    retry_backoff=30,
    max_retries=5,
)
def wallet_domains_register() -> int:
    """Register the shop's hosts at Stripe for Apple Pay and Google Pay (orders.wallets)."""
    return wallets.wallet_domains_register()


@shared_task(name="orders.wallet_domains_sweep", acks_late=True)
def wallet_domains_sweep() -> int:
    """Queue the hosts' registration again when one has no answer recorded (beat, every
    shop): its queueing was lost, or its task gave up."""
    return wallets.wallet_domains_sweep()
