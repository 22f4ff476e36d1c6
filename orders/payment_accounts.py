"""A shop's Stripe connection: which keys (and connected account) its payments use, and
whether the shop may sell with them.

Two ways to sell:

- **Connect with Stripe**: the platform's keys, direct charges on the shop's connected
  account. ``payment_account_onboarding_start`` creates that account once (a shop
  keeps its account: later calls reuse it) and answers the address of Stripe's hosted
  onboarding. What Stripe says of the account (``charges_enabled``,
  ``details_submitted``, ``requirements.currently_due``) is recorded when the merchant
  comes back (``payment_account_state_refresh``) and from the platform's
  ``account.updated`` events (``payment_account_state_record``). The shop sells once
  Stripe enables charges.
- **Own keys**: ``payment_account_set_keys`` proves the secret key with an
  authenticated call before anything is saved and, unless the merchant gives the
  signing secret of an endpoint of their own, creates the webhook endpoint in their
  Stripe account and keeps its secret. The shop sells once the key is proven.

Shops' own secret keys and webhook secrets are stored encrypted with the platform's
secrets keys (``shops.secrets``: SECRETS_KEYS, newest first).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orders import stripe_client
from orders.models import PaymentAccount
from orders.stripe_client import Credentials
from shops.audit.services import audit_record
from shops.page_cache import cached_page, shop_page_changed
from shops.queueing import task_queue_on_commit
from shops.secrets import SecretsError, secret_decrypt, secret_encrypt
from shops.selectors import current_shop

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShopPayments:
    """What the shop's payments need, and why it cannot sell (``problem``, "" when it
    can). ``credentials`` are there once a connection is configured, even while it may
    not sell yet (an order made earlier can still be refunded or read back).
    ``connected_account_id``: the shop's connected account, whatever the mode (its
    ``account.updated`` events are the shop's)."""

    credentials: Credentials | None
    webhook_secret: str = ""
    problem: str = ""
    connected_account_id: str = ""

    @property
    def can_sell(self) -> bool:
        return self.credentials is not None and not self.problem


# The events a shop's own webhook endpoint sends (orders.services.payments handles them)
WEBHOOK_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
)

NOT_SET_UP = "Payments are not set up for this shop yet."
UNREADABLE = (
    "The shop's Stripe keys cannot be decrypted with the platform's secrets keys "
    "(SECRETS_KEYS): enter them again, or restore the key they were saved with."
)
CONNECT_UNAVAILABLE = (
    "Connecting a Stripe account through Etalage is not available on this platform yet: "
    "use your own Stripe keys instead (Payments → Use your own Stripe keys), or ask the "
    "platform's support to turn Stripe Connect on."
)
NOT_CONNECTED = "Click “Connect with Stripe” in Payments to set up your Stripe account."
# registers the shop's hosts for wallets once it can sell (orders.wallets)
WALLET_DOMAINS_TASK = "orders.wallet_domains_register"
KEYS_UNCHECKED = "Your Stripe keys have not been checked yet: save them again in Payments."


# What Stripe's requirement names (requirements.currently_due) ask for, in words; the
# first matching prefix wins.
REQUIREMENT_WORDS = (
    ("external_account", "a bank account for your payouts"),
    ("tos_acceptance", "your acceptance of Stripe's terms of service"),
    ("business_type", "whether you sell as an individual or a company"),
    ("business_profile.url", "your website's address"),
    ("business_profile.mcc", "what kind of business you run"),
    ("business_profile.product_description", "a description of what you sell"),
    ("business_profile", "details about your business"),
    ("individual.verification.additional_document", "a document proving your address"),
    ("individual.verification", "a photo of your identity document"),
    ("individual.first_name", "your name"),
    ("individual.last_name", "your name"),
    ("individual.dob", "your date of birth"),
    ("individual.address", "your home address"),
    ("individual.email", "your email address"),
    ("individual.phone", "your phone number"),
    ("individual.id_number", "your identity number"),
    ("individual.ssn_last_4", "your identity number"),
    ("individual", "details about you"),
    ("company.name", "your company's name"),
    ("company.tax_id", "your company's tax number"),
    ("company.address", "your company's address"),
    ("company.phone", "your company's phone number"),
    ("company", "details about your company"),
    ("representative", "details about the person who represents your company"),
    ("owners", "details about your company's owners"),
    ("directors", "details about your company's directors"),
    ("executives", "details about your company's executives"),
    ("settings.payments.statement_descriptor", "the name shown on your buyers' card statements"),
)


def requirements_in_words(names: Iterable[str]) -> list[str]:
    """What Stripe still needs, as the merchant would say it (each said once, in
    Stripe's order); a name this list does not know is given as it is."""
    words: list[str] = []
    for name in names:
        said = next((w for prefix, w in REQUIREMENT_WORDS if name.startswith(prefix)), name)
        if said not in words:
            words.append(said)
    return words


def _connect_problem(account: PaymentAccount) -> str:
    """Why a connected account cannot take charges yet, in words, or ""."""
    if account.charges_enabled:
        return ""
    needs = requirements_in_words(account.requirements_due)
    if not account.details_submitted:
        return (
            "Your Stripe account is not set up yet: click “Continue with Stripe” in Payments "
            "and finish Stripe's form"
            + (f" (Stripe still needs {', '.join(needs)})." if needs else ".")
        )
    return (
        "Stripe has not enabled payments on your account yet: "
        + (f"it still needs {', '.join(needs)}." if needs else "it is reviewing your details.")
        + " The shop can sell as soon as Stripe enables them."
    )


def platform_connect_available() -> bool:
    """Whether the platform has the Stripe keys that Connect needs."""
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_PUBLISHABLE_KEY)


def _platform_credentials() -> Credentials:
    return Credentials(
        secret_key=settings.STRIPE_SECRET_KEY, publishable_key=settings.STRIPE_PUBLISHABLE_KEY
    )


def shop_payments() -> ShopPayments:
    """The payment setup of the shop whose schema is active (one query)."""
    account = PaymentAccount.objects.filter(id=1).first()
    if account is None:
        return ShopPayments(None, problem=NOT_SET_UP + " " + NOT_CONNECTED)
    connected = account.stripe_account_id
    if account.mode == PaymentAccount.Mode.CONNECT:
        if not platform_connect_available():
            problem = NOT_SET_UP + " " + CONNECT_UNAVAILABLE
            return ShopPayments(None, problem=problem, connected_account_id=connected)
        if not connected:
            return ShopPayments(None, problem=NOT_SET_UP + " " + NOT_CONNECTED)
        return ShopPayments(
            Credentials(
                secret_key=settings.STRIPE_SECRET_KEY,
                publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
                account_id=connected,
            ),
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
            problem=_connect_problem(account),
            connected_account_id=connected,
        )
    try:
        secret_key = secret_decrypt(account.secret_key_encrypted)
        webhook_secret = secret_decrypt(account.webhook_secret_encrypted)
    except SecretsError as error:
        logger.warning("The shop's Stripe keys cannot be read: %s", error.message)
        problem = NOT_SET_UP + " " + UNREADABLE
        return ShopPayments(None, problem=problem, connected_account_id=connected)
    if not (secret_key and account.publishable_key):
        problem = NOT_SET_UP + " The shop's Stripe keys are missing."
        return ShopPayments(None, problem=problem, connected_account_id=connected)
    return ShopPayments(
        Credentials(secret_key=secret_key, publishable_key=account.publishable_key),
        webhook_secret=webhook_secret,
        problem="" if account.verified_at else KEYS_UNCHECKED,
        connected_account_id=connected,
    )


def shop_can_sell() -> bool:
    """Whether the active shop can take payments, for its shopper pages (Buy now or
    "not taking orders"): cached with the shop's pages, so no query once cached; the
    services below retire it when the connection changes."""
    return cached_page("can_sell", lambda: shop_payments().can_sell)


def _stripe_problem(exc: stripe_client.PaymentError, doing: str) -> str:
    if isinstance(exc, stripe_client.PaymentRetryableError):
        return (
            f"Stripe could not be reached to {doing}; nothing was changed. Try again in a minute."
        )
    return f"Stripe refused to {doing}: {exc}"


# --- Connect with Stripe ----------------------------------------------------------------


def payment_account_onboarding_start(*, refresh_url: str, return_url: str, email: str = "") -> str:
    """Connect with Stripe: the address of Stripe's hosted onboarding for the shop's
    connected account, which is created at the first call (of the type
    STRIPE_CONNECT_ACCOUNT_TYPE, named by the shop in its metadata) and reused after:
    one account per shop, and Stripe's idempotency key keeps two clicks at once from
    making two. The shop sells through it once Stripe enables charges. Stripe sends the
    merchant back to ``return_url``, or to ``refresh_url`` when the address has expired
    or was used. Raises ValidationError with a sentence for the merchant."""
    if not platform_connect_available():
        raise ValidationError(CONNECT_UNAVAILABLE, code="connect_unavailable")
    credentials = _platform_credentials()
    existing = PaymentAccount.objects.filter(id=1).first()
    account_id = existing.stripe_account_id if existing else ""
    account_type = settings.STRIPE_CONNECT_ACCOUNT_TYPE
    if not account_id:
        shop = current_shop()
        try:
            created = stripe_client.account_create(
                credentials=credentials,
                account_type=account_type,
                email=email,
                metadata={"shop": shop.schema_name},
                idempotency_key=f"etalage-connect-{shop.pk}-{shop.schema_name}",
            )
        except stripe_client.PaymentError as exc:
            raise ValidationError(
                _stripe_problem(exc, "create your Stripe account"), code="stripe"
            ) from exc
        account_id = created.id
        payment_account_connect(stripe_account_id=account_id, account_type=created.type)
        payment_account_state_record(account=created)
    elif existing.mode != PaymentAccount.Mode.CONNECT:
        payment_account_connect(stripe_account_id=account_id)
    try:
        return stripe_client.account_link_create(
            credentials=credentials,
            account_id=account_id,
            refresh_url=refresh_url,
            return_url=return_url,
        )
    except stripe_client.PaymentError as exc:
        raise ValidationError(
            _stripe_problem(exc, "open its onboarding for your account"), code="stripe"
        ) from exc


@transaction.atomic
def payment_account_connect(*, stripe_account_id: str, account_type: str = "") -> PaymentAccount:
    """Sell through the platform's Stripe account on this connected account
    (``acct_…``); until Stripe says it may take charges, the shop does not sell. The
    shop's own keys, if any, are dropped (and the webhook endpoint made for them is
    deleted at Stripe)."""
    stripe_account_id = stripe_account_id.strip()
    if not stripe_account_id.startswith("acct_"):
        raise ValidationError("A connected account id starts with acct_.", code="account_id")
    previous = PaymentAccount.objects.select_for_update().filter(id=1).first()
    if previous is not None and previous.mode == PaymentAccount.Mode.OWN_KEYS:
        transaction.on_commit(_endpoint_retire_later(previous))
    fields: dict[str, object] = {
        "mode": PaymentAccount.Mode.CONNECT,
        "stripe_account_id": stripe_account_id,
        "publishable_key": "",
        "secret_key_encrypted": "",
        "webhook_secret_encrypted": "",
        "verified_at": None,
        "webhook_endpoint_id": "",
    }
    if (
        previous is None
        or previous.stripe_account_id != stripe_account_id
        or previous.mode != (PaymentAccount.Mode.CONNECT)
    ):
        fields["wallet_domains"] = []  # registered in the connected account once it sells
    if previous is None or previous.stripe_account_id != stripe_account_id:
        fields.update(
            account_type=account_type,
            charges_enabled=False,
            payouts_enabled=False,
            details_submitted=False,
            requirements_due=[],
            disabled_reason="",
            account_checked_at=None,
        )
    elif account_type:
        fields["account_type"] = account_type
    account, _ = PaymentAccount.objects.update_or_create(id=1, defaults=fields)
    audit_record(action="payments.connect", target=account, note=stripe_account_id)
    shop_page_changed()  # the pages' Buy now follows the connection
    return account


@transaction.atomic
def payment_account_state_record(*, account: stripe_client.ConnectedAccount) -> bool:
    """Record what Stripe says of the shop's connected account (on the merchant's
    return from onboarding, and from ``account.updated``). False, and nothing changed,
    when ``account`` is not this shop's."""
    row = PaymentAccount.objects.select_for_update().filter(id=1).first()
    if row is None or not row.stripe_account_id or row.stripe_account_id != account.id:
        return False
    could_sell = row.charges_enabled
    row.charges_enabled = account.charges_enabled
    row.payouts_enabled = account.payouts_enabled
    row.details_submitted = account.details_submitted
    row.requirements_due = list(account.currently_due)
    row.disabled_reason = account.disabled_reason[:100]
    row.account_type = account.type[:10] or row.account_type
    row.account_checked_at = timezone.now()
    row.save(
        update_fields=[
            "charges_enabled",
            "payouts_enabled",
            "details_submitted",
            "requirements_due",
            "disabled_reason",
            "account_type",
            "account_checked_at",
            "updated",
        ]
    )
    if could_sell != row.charges_enabled:
        shop_page_changed()
        if row.charges_enabled:
            task_queue_on_commit(WALLET_DOMAINS_TASK)
    return True


def payment_account_state_sync(*, account_id: str) -> bool:
    """Ask Stripe about the connected account ``account_id`` and record its answer, if
    it is this shop's account (False otherwise, and Stripe is not asked). Events come
    in any order: Stripe's answer now is the latest word. Raises PaymentError when
    Stripe does not answer (or the platform has no keys to ask with)."""
    row = PaymentAccount.objects.filter(id=1).first()
    if row is None or not account_id or row.stripe_account_id != account_id:
        return False
    if not platform_connect_available():
        raise stripe_client.PaymentFinalError(CONNECT_UNAVAILABLE)
    account = stripe_client.account_retrieve(
        credentials=_platform_credentials(), account_id=account_id
    )
    return payment_account_state_record(account=account)


def payment_account_state_refresh() -> PaymentAccount:
    """Ask Stripe about the shop's connected account and record its answer (the
    merchant is back from onboarding). Raises ValidationError with a sentence for the
    merchant when there is no account or Stripe does not answer."""
    row = PaymentAccount.objects.filter(id=1).first()
    if row is None or not row.stripe_account_id:
        raise ValidationError(NOT_CONNECTED, code="not_connected")
    if not platform_connect_available():
        raise ValidationError(CONNECT_UNAVAILABLE, code="connect_unavailable")
    try:
        payment_account_state_sync(account_id=row.stripe_account_id)
    except stripe_client.PaymentError as exc:
        raise ValidationError(_stripe_problem(exc, "describe your account"), code="stripe") from exc
    row.refresh_from_db()
    return row


# --- Own keys ---------------------------------------------------------------------------


def _key_mode(key: str) -> str:
    return "live" if "_live_" in key else "test"


def _keys_format_errors(secret_key: str, publishable_key: str, webhook_secret: str) -> dict:
    errors: dict[str, str] = {}
    if not secret_key.startswith(("sk_", "rk_")):
        errors["secret_key"] = "A Stripe secret key starts with sk_ (or rk_ if restricted)."  # noqa: S105
    if not publishable_key.startswith("pk_"):
        errors["publishable_key"] = "A Stripe publishable key starts with pk_."
    if webhook_secret and not webhook_secret.startswith("whsec_"):
        errors["webhook_secret"] = "A webhook signing secret starts with whsec_."  # noqa: S105
    if not errors and _key_mode(secret_key) != _key_mode(publishable_key):
        errors["publishable_key"] = (
            f"This is a {_key_mode(publishable_key)} mode key and the secret key a "
            f"{_key_mode(secret_key)} mode one: take both from the same mode in Stripe "
            "(Developers → API keys)."
        )
    return errors


def _key_check(credentials: Credentials) -> None:
    """Raise ValidationError unless Stripe knows the secret key (a restricted key that
    may not read the balance is still Stripe's: it is accepted)."""
    try:
        stripe_client.key_check(credentials=credentials)
    except stripe_client.PaymentAuthenticationError:
        raise ValidationError(
            {
                "secret_key": (
                    "Stripe does not know this secret key: copy it again from your Stripe "
                    "dashboard (Developers → API keys). Nothing was saved."
                )
            }
        ) from None
    except stripe_client.PaymentPermissionError:
        return
    except stripe_client.PaymentError as exc:
        raise ValidationError(_stripe_problem(exc, "check the key"), code="stripe") from exc


def _endpoint_advice(webhook_url: str) -> str:
    return (
        f"Or create an endpoint for {webhook_url} in Stripe (Developers → Webhooks) with "
        f"the events {', '.join(WEBHOOK_EVENTS)}, and paste its signing secret (whsec_…) "
        "in “Webhook signing secret”. Nothing was saved."
    )


def _endpoint_reusable(
    credentials: Credentials, previous: PaymentAccount | None, webhook_url: str
) -> stripe_client.WebhookEndpoint | None:
    """The endpoint made for the shop before, with its secret, if this key's account
    still has it for ``webhook_url`` (the same keys saved again)."""
    if previous is None or not previous.webhook_endpoint_id:
        return None
    try:
        secret = secret_decrypt(previous.webhook_secret_encrypted)
        endpoint = stripe_client.webhook_endpoint_retrieve(
            credentials=credentials, endpoint_id=previous.webhook_endpoint_id
        )
    except (SecretsError, stripe_client.PaymentError):
        return None
    events = set(endpoint.enabled_events)
    if endpoint.url != webhook_url or endpoint.status == "disabled" or not secret:
        return None
    if "*" not in events and not events.issuperset(WEBHOOK_EVENTS):
        return None  # events taken off it in Stripe's dashboard: a complete one replaces it
    return stripe_client.WebhookEndpoint(
        id=endpoint.id, url=endpoint.url, enabled_events=endpoint.enabled_events, secret=secret
    )


def _endpoint_create(credentials: Credentials, webhook_url: str) -> stripe_client.WebhookEndpoint:
    """A webhook endpoint in the key's account for the shop's ``webhook_url``, or
    ValidationError saying what the merchant can do instead."""
    shop = current_shop()
    try:
        endpoint = stripe_client.webhook_endpoint_create(
            credentials=credentials,
            url=webhook_url,
            events=WEBHOOK_EVENTS,
            description=f"Etalage: the orders of {shop.name}",
            metadata={"etalage_shop": shop.schema_name},
        )
    except stripe_client.PaymentPermissionError:
        raise ValidationError(
            {
                "webhook_secret": (
                    "This key may not create webhook endpoints (a restricted key without the "
                    "“Webhook Endpoints: Write” permission): give it that permission and save "
                    "again. " + _endpoint_advice(webhook_url)
                )
            }
        ) from None
    except stripe_client.PaymentRetryableError as exc:
        raise ValidationError(
            _stripe_problem(exc, "create the webhook endpoint"), code="stripe"
        ) from exc
    except stripe_client.PaymentError as exc:
        raise ValidationError(
            {
                "webhook_secret": (
                    f"Stripe did not create the webhook endpoint for {webhook_url} ({exc}). "
                    + _endpoint_advice(webhook_url)
                )
            }
        ) from None
    if not endpoint.secret:
        raise ValidationError(
            {
                "webhook_secret": (
                    "Stripe created the webhook endpoint without giving its signing secret. "
                    + _endpoint_advice(webhook_url)
                )
            }
        )
    return endpoint


def _endpoint_retire_later(account: PaymentAccount):
    """A callable that deletes at Stripe the webhook endpoint Etalage made for the
    shop's former keys (after the commit; best effort: a failure is only logged)."""
    endpoint_id = account.webhook_endpoint_id
    encrypted = account.secret_key_encrypted

    def retire() -> None:
        if not endpoint_id:
            return
        try:
            credentials = Credentials(secret_key=secret_decrypt(encrypted), publishable_key="")
            stripe_client.webhook_endpoint_delete(credentials=credentials, endpoint_id=endpoint_id)
        except (SecretsError, stripe_client.PaymentError) as exc:
            logger.warning("The former webhook endpoint %s was not deleted: %s", endpoint_id, exc)

    return retire


def payment_account_set_keys(
    *,
    secret_key: str,
    publishable_key: str,
    webhook_secret: str = "",
    webhook_url: str = "",
    api_base: str = "",
) -> PaymentAccount:
    """Sell through the shop's own Stripe account, once Stripe has proven the key.

    The secret key is checked with an authenticated call first: a key Stripe does not
    know is refused and nothing is saved. Without ``webhook_secret`` (the signing secret
    of an endpoint the merchant made), the webhook endpoint for ``webhook_url`` (the
    shop's ``/webhooks/stripe/``) is created through Stripe's API, or the one made
    before is kept when the same account still has it, and its secret is stored: the
    merchant never copies a ``whsec_``. Secrets are stored encrypted. ``api_base``:
    where Stripe answers, if not STRIPE_API_BASE (the demo's localstripe). Raises
    ValidationError (by field where it can) with what to do.
    """
    secret_key, publishable_key = secret_key.strip(), publishable_key.strip()
    webhook_secret = webhook_secret.strip()
    errors = _keys_format_errors(secret_key, publishable_key, webhook_secret)
    if not webhook_secret and not webhook_url:
        errors.setdefault("webhook_secret", "Give the webhook signing secret (whsec_…).")
    if errors:
        raise ValidationError(errors)
    credentials = Credentials(
        secret_key=secret_key, publishable_key=publishable_key, api_base=api_base
    )
    _key_check(credentials)
    previous = PaymentAccount.objects.filter(id=1).first()
    endpoint_id = ""
    if not webhook_secret:
        endpoint = _endpoint_reusable(credentials, previous, webhook_url)
        if endpoint is None:
            endpoint = _endpoint_create(credentials, webhook_url)
        webhook_secret, endpoint_id = endpoint.secret, endpoint.id
    with transaction.atomic():
        previous = PaymentAccount.objects.select_for_update().filter(id=1).first()
        if previous is not None and previous.webhook_endpoint_id not in ("", endpoint_id):
            transaction.on_commit(_endpoint_retire_later(previous))
        account, _ = PaymentAccount.objects.update_or_create(
            id=1,
            defaults={
                "mode": PaymentAccount.Mode.OWN_KEYS,
                "publishable_key": publishable_key,
                "secret_key_encrypted": secret_encrypt(secret_key),
                "webhook_secret_encrypted": secret_encrypt(webhook_secret),
                "verified_at": timezone.now(),
                "webhook_endpoint_id": endpoint_id,
                "wallet_domains": [],  # registered anew in this account
            },
        )
        task_queue_on_commit(WALLET_DOMAINS_TASK)
        audit_record(
            action="payments.keys", target=account, note=f"publishable key {publishable_key[:12]}…"
        )
        shop_page_changed()
    return account


@transaction.atomic
def payment_account_remove() -> None:
    """Disconnect Stripe: the shop stops selling (its pages say so). The webhook
    endpoint Etalage made for the shop's own keys is deleted at Stripe."""
    previous = PaymentAccount.objects.select_for_update().filter(id=1).first()
    if previous is not None and previous.mode == PaymentAccount.Mode.OWN_KEYS:
        transaction.on_commit(_endpoint_retire_later(previous))
    PaymentAccount.objects.filter(id=1).delete()
    audit_record(
        action="payments.remove", object_type="paymentaccount", object_repr="Stripe connection"
    )
    shop_page_changed()
