"""The demo shop's payments when ``make run`` has no real Stripe: a localstripe of its own.

``manage.py rundemo`` starts localstripe (``config.localstripe``) and calls
``demo_payments_local``: the demo shop gets localstripe test keys of its own (the
"own keys" connection, as a shop owner would enter them in the admin) and localstripe
sends its signed webhooks to the platform's ``/webhooks/stripe/``, so a test-card
payment marks the order paid.
"""

from __future__ import annotations

from django_tenants.utils import tenant_context

from config.localstripe import localstripe_webhook
from orders.models import PaymentAccount
from orders.payment_accounts import payment_account_set_keys, shop_payments
from shops.models import Shop

DEMO_SECRET_KEY = "sk_test_etalage_demo"  # noqa: S105 (localstripe accepts any sk_test_)
DEMO_PUBLISHABLE_KEY = "pk_test_etalage_demo"
DEMO_WEBHOOK_SECRET = "whsec_etalage_demo"  # noqa: S105
TEST_CARD = "4242 4242 4242 4242"


def demo_payments_owner(shop: Shop) -> str:
    """Why the shop's Stripe connection is not the demo's to set (it was connected by
    hand: Connect or other keys), or "" when rundemo may give it the localstripe keys."""
    with tenant_context(shop):
        account = PaymentAccount.objects.filter(id=1).first()
    if account is None or (
        account.mode == PaymentAccount.Mode.OWN_KEYS
        and account.publishable_key == DEMO_PUBLISHABLE_KEY
    ):
        return ""
    return f"the shop {shop.slug!r} has a Stripe connection of its own ({account.mode})"


def demo_payments_local(shop: Shop, *, stripe_base: str, webhook_url: str) -> None:
    """Connect ``shop`` to the localstripe at ``stripe_base`` with the demo test keys and
    have localstripe send its events to ``webhook_url``. The caller has checked
    ``demo_payments_owner`` (a hand-made connection is never replaced)."""
    localstripe_webhook(
        stripe_base, name="etalage-demo", url=webhook_url, secret=DEMO_WEBHOOK_SECRET
    )
    with tenant_context(shop):
        payment_account_set_keys(
            secret_key=DEMO_SECRET_KEY,
            publishable_key=DEMO_PUBLISHABLE_KEY,
            webhook_secret=DEMO_WEBHOOK_SECRET,
            api_base=stripe_base,  # the key is checked there, as Stripe would check it
        )
        payments = shop_payments()
    if not payments.can_sell:  # e.g. SECRETS_KEYS that cannot read them back
        raise RuntimeError(payments.problem)
