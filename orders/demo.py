"""The demo shop's pricing rules (``demo_pricing_seed``: shipping zones and rates, with
the "Free shipping on orders over €50" its banner announces, VAT rates and the code
WELCOME10), and its payments when ``make run`` has no real Stripe: a localstripe of its
own.

``manage.py rundemo`` starts localstripe (``config.localstripe``) and calls
``demo_payments_local``: the demo shop gets localstripe test keys of its own (the
"own keys" connection, as a shop owner would enter them in the admin) and localstripe
sends its signed webhooks to the platform's ``/webhooks/stripe/``, so a test-card
payment marks the order paid.
"""

from __future__ import annotations

from django.db import transaction
from django_tenants.utils import tenant_context

from config.localstripe import localstripe_webhook
from orders import services
from orders.models import Discount, PaymentAccount, ShippingZone, TaxRate
from orders.payment_accounts import payment_account_set_keys, shop_payments
from shops.models import Shop

DEMO_SECRET_KEY = "sk_test_etalage_demo"  # noqa: S105 (localstripe accepts any sk_test_)
DEMO_PUBLISHABLE_KEY = "pk_test_etalage_demo"
DEMO_WEBHOOK_SECRET = "whsec_etalage_demo"  # noqa: S105
TEST_CARD = "4242 4242 4242 4242"

FREE_OVER = "50"  # the banner's "Free shipping on orders over €50"
# zone: (countries, [rate]), each rate free over €50 but express
DEMO_ZONES = {
    "France": (
        ["FR", "MC"],
        [
            {"name": "Colissimo (2 to 3 days)", "price": "4.90", "free_over": FREE_OVER},
            {"name": "Chronopost express (next day)", "price": "12.90"},
        ],
    ),
    "European Union": (
        ["AT", "BE", "DE", "DK", "ES", "FI", "IE", "IT", "LU", "NL", "PT", "SE"],
        [
            {
                "name": "Europe standard (3 to 5 days)",
                "price": "8.90",
                "free_over": FREE_OVER,
            }
        ],
    ),
    "Rest of the world": (
        ["AU", "CA", "CH", "GB", "JP", "NO", "US"],
        [
            {
                "name": "International (5 to 10 days)",
                "price": "14.90",
                "free_over": FREE_OVER,
            }
        ],
    ),
}
# VAT where the demo sells in the EU (prices include it: the shop sells in euros)
DEMO_VAT = {"FR": "20", "MC": "20", "BE": "21", "DE": "19", "ES": "21", "IT": "22", "NL": "21"}
DEMO_CODE = "WELCOME10"


def demo_pricing_seed() -> int:
    """Give the active (demo) shop its shipping zones and rates, VAT rates and the code
    WELCOME10 (10 % off), each only if missing: a rule the merchant changed or deleted
    a zone of is left as it is. How many rules were added."""
    added = 0
    with transaction.atomic():
        for name, (countries, rates) in DEMO_ZONES.items():
            if ShippingZone.objects.filter(name=name).exists():
                continue
            free = [
                c for c in countries if not ShippingZone.objects.filter(countries__contains=[c])
            ]
            if not free:
                continue
            zone = services.shipping_zone_create(name=name, countries=free)
            for rate in rates:
                services.shipping_rate_create(zone=zone, **rate)
            added += 1 + len(rates)
        for country, rate in DEMO_VAT.items():
            if not TaxRate.objects.filter(country=country).exists():
                services.tax_rate_create(country=country, rate=rate, name="VAT")
                added += 1
        if not Discount.objects.filter(code__iexact=DEMO_CODE).exists():
            services.discount_create(code=DEMO_CODE, kind="percentage", value="10")
            added += 1
    return added


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
