"""A shop's Stripe connection: which keys (and connected account) its payments use.

Shops' own secret keys and webhook secrets are stored encrypted with the platform's
secrets keys (``shops.secrets``: SECRETS_KEYS, newest first).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from orders.models import PaymentAccount
from orders.stripe_client import Credentials
from shops.page_cache import cached_page, shop_page_changed
from shops.secrets import SecretsError, secret_decrypt, secret_encrypt

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShopPayments:
    """What the shop's payments need, or why it cannot sell (``problem``)."""

    credentials: Credentials | None
    webhook_secret: str = ""
    problem: str = ""

    @property
    def can_sell(self) -> bool:
        return self.credentials is not None


NOT_SET_UP = "Payments are not set up for this shop yet."
UNREADABLE = (
    "The shop's Stripe keys cannot be decrypted with the platform's secrets keys "
    "(SECRETS_KEYS): enter them again, or restore the key they were saved with."
)


def shop_payments() -> ShopPayments:
    """The payment setup of the shop whose schema is active (one query)."""
    account = PaymentAccount.objects.filter(id=1).first()
    if account is None:
        return ShopPayments(None, problem=NOT_SET_UP + " Connect a Stripe account.")
    if account.mode == PaymentAccount.Mode.CONNECT:
        if not (settings.STRIPE_SECRET_KEY and settings.STRIPE_PUBLISHABLE_KEY):
            return ShopPayments(
                None, problem=NOT_SET_UP + " The platform has no Stripe keys (STRIPE_SECRET_KEY)."
            )
        if not account.stripe_account_id:
            return ShopPayments(None, problem=NOT_SET_UP + " No connected Stripe account.")
        return ShopPayments(
            Credentials(
                secret_key=settings.STRIPE_SECRET_KEY,
                publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
                account_id=account.stripe_account_id,
            ),
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
        )
    try:
        secret_key = secret_decrypt(account.secret_key_encrypted)
        webhook_secret = secret_decrypt(account.webhook_secret_encrypted)
    except SecretsError as error:
        logger.warning("The shop's Stripe keys cannot be read: %s", error.message)
        return ShopPayments(None, problem=NOT_SET_UP + " " + UNREADABLE)
    if not (secret_key and account.publishable_key):
        return ShopPayments(None, problem=NOT_SET_UP + " The shop's Stripe keys are missing.")
    return ShopPayments(
        Credentials(secret_key=secret_key, publishable_key=account.publishable_key),
        webhook_secret=webhook_secret,
    )


def shop_can_sell() -> bool:
    """Whether the active shop can take payments, for its shopper pages (Buy now or
    "not taking orders"): cached with the shop's pages, so no query once cached; the
    services below retire it when the connection changes."""
    return cached_page("can_sell", lambda: shop_payments().can_sell)


@transaction.atomic
def payment_account_connect(*, stripe_account_id: str) -> PaymentAccount:
    """Sell through the platform's Stripe account on this connected account (``acct_…``)."""
    stripe_account_id = stripe_account_id.strip()
    if not stripe_account_id.startswith("acct_"):
        raise ValidationError("A connected account id starts with acct_.", code="account_id")
    account, _ = PaymentAccount.objects.update_or_create(
        id=1,
        defaults={
            "mode": PaymentAccount.Mode.CONNECT,
            "stripe_account_id": stripe_account_id,
            "publishable_key": "",
            "secret_key_encrypted": "",
            "webhook_secret_encrypted": "",
        },
    )
    shop_page_changed()  # the pages' Buy now follows the connection
    return account


@transaction.atomic
def payment_account_set_keys(
    *, secret_key: str, publishable_key: str, webhook_secret: str
) -> PaymentAccount:
    """Sell through the shop's own Stripe account; the secrets are stored encrypted."""
    secret_key, publishable_key = secret_key.strip(), publishable_key.strip()
    webhook_secret = webhook_secret.strip()
    errors: dict[str, str] = {}
    if not secret_key.startswith(("sk_", "rk_")):
        errors["secret_key"] = "A Stripe secret key starts with sk_ (or rk_ if restricted)."  # noqa: S105
    if not publishable_key.startswith("pk_"):
        errors["publishable_key"] = "A Stripe publishable key starts with pk_."
    if not webhook_secret.startswith("whsec_"):
        errors["webhook_secret"] = "A webhook signing secret starts with whsec_."  # noqa: S105
    if errors:
        raise ValidationError(errors)
    account, _ = PaymentAccount.objects.update_or_create(
        id=1,
        defaults={
            "mode": PaymentAccount.Mode.OWN_KEYS,
            "stripe_account_id": "",
            "publishable_key": publishable_key,
            "secret_key_encrypted": secret_encrypt(secret_key),
            "webhook_secret_encrypted": secret_encrypt(webhook_secret),
        },
    )
    shop_page_changed()
    return account


@transaction.atomic
def payment_account_remove() -> None:
    """Disconnect Stripe: the shop stops selling (its pages say so)."""
    PaymentAccount.objects.filter(id=1).delete()
    shop_page_changed()
