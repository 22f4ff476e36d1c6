"""The only module that speaks Stripe.

Every call takes the credentials explicitly (the shop's own key, or the platform's key
with the shop's connected account), has a timeout, and turns Stripe's errors into
``PaymentRetryableError`` (network, 429, 5xx: try again later) or ``PaymentFinalError``
(a 4xx: the same request will fail again). Inputs and outputs are plain dataclasses.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings

logger = logging.getLogger(__name__)


class PaymentError(Exception):
    """Stripe could not do what was asked."""

    def __init__(self, message: str, *, code: str = "", http_status: int | None = None):
        super().__init__(message)
        self.code = code
        self.http_status = http_status


class PaymentRetryableError(PaymentError):
    """A network error, a rate limit or a Stripe outage: the same call may work later."""


class PaymentFinalError(PaymentError):
    """Stripe refused the request (4xx): repeating it will not help."""


class PaymentAuthenticationError(PaymentFinalError):
    """Stripe does not know the API key (401): mistyped, rolled or deleted."""


class PaymentPermissionError(PaymentFinalError):
    """The key is Stripe's but may not do this (403): a restricted key without the
    permission, or a connected account the platform has no access to."""


class WebhookSignatureError(Exception):
    """A webhook payload that is unsigned, signed with another secret, or too old."""


@dataclass(frozen=True)
class Credentials:
    """Who calls Stripe: ``secret_key`` and, for a Connect direct charge, the connected
    ``account_id``. ``publishable_key`` is what Stripe.js gets on the shop's pages."""

    secret_key: str
    publishable_key: str
    account_id: str = ""
    api_base: str = ""


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: str
    amount: int
    currency: str
    client_secret: str
    metadata: dict[str, str] = field(default_factory=dict)
    account_id: str = ""


@dataclass(frozen=True)
class Refund:
    id: str
    amount: int
    status: str


@dataclass(frozen=True)
class Event:
    """A verified webhook event. ``account_id`` is set for a connected account's event."""

    id: str
    type: str
    object: dict[str, Any]
    account_id: str = ""
    created: int = 0


_http_client: stripe.HTTPClient | None = None


def _client(credentials: Credentials) -> stripe.StripeClient:
    global _http_client
    if _http_client is None:
        # One client (one connection pool per thread) for the process: a new TLS
        # handshake per call would cost more than the call.
        _http_client = stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS)
    return stripe.StripeClient(
        credentials.secret_key,
        stripe_account=credentials.account_id or None,
        base_addresses={"api": credentials.api_base or settings.STRIPE_API_BASE},
        max_network_retries=0,
        http_client=_http_client,
    )


@contextmanager
def _translated_errors() -> Iterator[None]:
    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise PaymentRetryableError(
            exc.user_message or "Stripe could not be reached.",
            code=exc.code or "",
            http_status=exc.http_status,
        ) from exc
    except (stripe.AuthenticationError, stripe.PermissionError) as exc:
        error_class = (
            PaymentAuthenticationError
            if isinstance(exc, stripe.AuthenticationError)
            else PaymentPermissionError
        )
        raise error_class(
            exc.user_message or str(exc) or "Stripe refused the key.",
            code=exc.code or "",
            http_status=exc.http_status,
        ) from exc
    except stripe.StripeError as exc:
        status = exc.http_status or 0
        error_class = PaymentRetryableError if status >= 500 or status == 0 else PaymentFinalError
        raise error_class(
            exc.user_message or str(exc) or "Stripe refused the request.",
            code=exc.code or "",
            http_status=exc.http_status,
        ) from exc


def _options(credentials: Credentials, idempotency_key: str | None = None) -> dict:
    options: dict[str, Any] = {}
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    if credentials.account_id:
        options["stripe_account"] = credentials.account_id
    return options


def _payment_intent(obj: Any, account_id: str = "") -> PaymentIntent:
    obj = obj.to_dict() if hasattr(obj, "to_dict") else obj
    return PaymentIntent(
        id=obj["id"],
        status=obj["status"],
        amount=int(obj["amount"]),
        currency=str(obj["currency"]).upper(),
        client_secret=obj.get("client_secret") or "",
        metadata={str(k): str(v) for k, v in (obj.get("metadata") or {}).items()},
        account_id=account_id,
    )


STRIPE_JS_PREFIX = "https://js.stripe.com/"


def payment_element_available() -> bool:
    """Whether the shop's pages load Stripe's own Stripe.js (STRIPE_JS_URL), and so
    mount the Payment Element (static/orders/buy_now.js) rather than a card element."""
    return settings.STRIPE_JS_URL.startswith(STRIPE_JS_PREFIX)


def payment_intent_create(
    *,
    credentials: Credentials,
    amount: int,
    currency: str,
    metadata: Mapping[str, str],
    idempotency_key: str,
    application_fee_amount: int = 0,
) -> PaymentIntent:
    """A PaymentIntent for ``amount`` minor units; on a connected account when the
    credentials name one (then with ``application_fee_amount`` if above 0).

    With Stripe's own Stripe.js the pages mount the Payment Element, which offers what
    the merchant enables in Stripe's Dashboard (cards, Apple Pay, Google Pay…):
    ``automatic_payment_methods``. Any other Stripe.js (localstripe's stand-in, which
    has only the card element and refuses ``automatic_payment_methods``) gets a card
    PaymentIntent, confirmed on the server with the card the page read."""
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency.lower(),
        "metadata": dict(metadata),
    }
    if payment_element_available():
        params["automatic_payment_methods"] = {"enabled": True}
    else:
        params["payment_method_types"] = ["card"]
    if credentials.account_id and application_fee_amount > 0:
        params["application_fee_amount"] = application_fee_amount
    with _translated_errors():
        obj = _client(credentials).v1.payment_intents.create(
            params=params, options=_options(credentials, idempotency_key)
        )
    return _payment_intent(obj, credentials.account_id)


def payment_intent_retrieve(*, credentials: Credentials, payment_intent_id: str) -> PaymentIntent:
    with _translated_errors():
        obj = _client(credentials).v1.payment_intents.retrieve(
            payment_intent_id, options=_options(credentials)
        )
    return _payment_intent(obj, credentials.account_id)


def payment_intent_cancel(*, credentials: Credentials, payment_intent_id: str) -> PaymentIntent:
    with _translated_errors():
        obj = _client(credentials).v1.payment_intents.cancel(
            payment_intent_id, options=_options(credentials)
        )
    return _payment_intent(obj, credentials.account_id)


def payment_intent_confirm_with_card(
    *, credentials: Credentials, payment_intent_id: str, payment_method_id: str
) -> PaymentIntent:
    """Attach a payment method (a card made by Stripe.js) and confirm on the server.

    Only the card-element fallback uses this (see static/orders/buy_now.js); with
    Stripe's Payment Element the browser confirms by itself.
    """
    client = _client(credentials)
    with _translated_errors():
        client.v1.payment_intents.update(
            payment_intent_id,
            params={"payment_method": payment_method_id},
            options=_options(credentials),
        )
        obj = client.v1.payment_intents.confirm(payment_intent_id, options=_options(credentials))
    return _payment_intent(obj, credentials.account_id)


def token_card_id(*, credentials: Credentials, token_id: str) -> str:
    """The card id behind a Stripe.js card token (``tok_…`` → ``card_…``)."""
    with _translated_errors():
        obj = _client(credentials).v1.tokens.retrieve(token_id, options=_options(credentials))
    return obj["card"]["id"]


def refund_create(
    *, credentials: Credentials, payment_intent_id: str, amount: int, idempotency_key: str
) -> Refund:
    with _translated_errors():
        obj = _client(credentials).v1.refunds.create(
            params={"payment_intent": payment_intent_id, "amount": amount},
            options=_options(credentials, idempotency_key),
        )
    return Refund(id=obj["id"], amount=int(obj["amount"]), status=str(obj["status"]))


# --- Connect: connected accounts and their onboarding (the platform's key) ---------------


@dataclass(frozen=True)
class ConnectedAccount:
    """A connected account as Stripe has it: whether it may take charges and be paid
    out, whether its owner finished onboarding, and what Stripe still needs from them
    (``currently_due``: requirement names such as ``external_account``)."""

    id: str
    type: str = ""
    charges_enabled: bool = False
    payouts_enabled: bool = False
    details_submitted: bool = False
    currently_due: tuple[str, ...] = ()
    disabled_reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


def connected_account(obj: Any) -> ConnectedAccount:
    """A ConnectedAccount from Stripe's account object (an answer, or an event's
    ``data.object``)."""
    obj = obj.to_dict() if hasattr(obj, "to_dict") else obj
    requirements = obj.get("requirements") or {}
    return ConnectedAccount(
        id=str(obj["id"]),
        type=str(obj.get("type") or ""),
        charges_enabled=obj.get("charges_enabled") is True,
        payouts_enabled=obj.get("payouts_enabled") is True,
        details_submitted=obj.get("details_submitted") is True,
        currently_due=tuple(str(name) for name in requirements.get("currently_due") or ()),
        disabled_reason=str(requirements.get("disabled_reason") or ""),
        metadata={str(k): str(v) for k, v in (obj.get("metadata") or {}).items()},
    )


def account_create(
    *,
    credentials: Credentials,
    account_type: str,
    email: str,
    metadata: Mapping[str, str],
    idempotency_key: str,
) -> ConnectedAccount:
    """A new connected account of ``account_type`` (``standard`` or ``express``; an
    Express account asks for the card payments and transfers capabilities that direct
    charges with a platform fee need)."""
    params: dict[str, Any] = {"type": account_type, "metadata": dict(metadata)}
    if email:
        params["email"] = email
    if account_type == "express":
        params["capabilities"] = {
            "card_payments": {"requested": True},
            "transfers": {"requested": True},
        }
    with _translated_errors():
        obj = _client(credentials).v1.accounts.create(
            params=params, options=_options(credentials, idempotency_key)
        )
    return connected_account(obj)


def account_retrieve(*, credentials: Credentials, account_id: str) -> ConnectedAccount:
    with _translated_errors():
        obj = _client(credentials).v1.accounts.retrieve(account_id, options=_options(credentials))
    return connected_account(obj)


def account_link_create(
    *, credentials: Credentials, account_id: str, refresh_url: str, return_url: str
) -> str:
    """The address of Stripe's hosted onboarding for ``account_id``: single use and
    valid for minutes, so the merchant is sent there at once (never stored)."""
    with _translated_errors():
        obj = _client(credentials).v1.account_links.create(
            params={
                "account": account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            },
            options=_options(credentials),
        )
    return str(obj["url"])


# --- Wallets: the shop's domains registered for payment methods ------------------------


@dataclass(frozen=True)
class PaymentMethodDomain:
    """A host registered at Stripe for the payment methods that need one (Apple Pay,
    Google Pay, Link) in the Payment Element. ``apple_pay``/``google_pay``: Stripe's
    ``status`` (``active``, ``inactive``); ``*_problem``: its ``status_details``
    error message, "" when none."""

    id: str
    domain_name: str
    enabled: bool
    apple_pay: str = ""
    google_pay: str = ""
    apple_pay_problem: str = ""
    google_pay_problem: str = ""


def _payment_method_domain(obj: Any) -> PaymentMethodDomain:
    obj = obj.to_dict() if hasattr(obj, "to_dict") else obj

    def status(name: str) -> tuple[str, str]:
        method = obj.get(name) or {}
        details = method.get("status_details") or {}
        return str(method.get("status") or ""), str(details.get("error_message") or "")

    (apple, apple_problem), (google, google_problem) = status("apple_pay"), status("google_pay")
    return PaymentMethodDomain(
        id=str(obj["id"]),
        domain_name=str(obj["domain_name"]),
        enabled=obj.get("enabled") is True,
        apple_pay=apple,
        google_pay=google,
        apple_pay_problem=apple_problem,
        google_pay_problem=google_problem,
    )


def payment_method_domain_find(
    *, credentials: Credentials, domain_name: str
) -> PaymentMethodDomain | None:
    """The registration of ``domain_name`` in the credentials' account (the connected
    account's with Connect), or None (``GET /v1/payment_method_domains?domain_name=``)."""
    with _translated_errors():
        page = (
            _client(credentials)
            .v1.payment_method_domains.list(
                params={"domain_name": domain_name, "limit": 1}, options=_options(credentials)
            )
            .to_dict()
        )
    found = [item for item in page["data"] if item.get("domain_name") == domain_name]
    return _payment_method_domain(found[0]) if found else None


def payment_method_domain_create(
    *, credentials: Credentials, domain_name: str
) -> PaymentMethodDomain:
    """Register ``domain_name`` for payment methods in the credentials' account
    (``POST /v1/payment_method_domains``)."""
    with _translated_errors():
        obj = _client(credentials).v1.payment_method_domains.create(
            params={"domain_name": domain_name}, options=_options(credentials)
        )
    return _payment_method_domain(obj)


# --- A shop's own keys: checked, and its webhook endpoint made for it -------------------


@dataclass(frozen=True)
class WebhookEndpoint:
    """A webhook endpoint of the key's account. ``secret`` (whsec_…) is given by Stripe
    only in the answer that creates the endpoint, "" otherwise."""

    id: str
    url: str
    enabled_events: tuple[str, ...]
    secret: str = ""
    status: str = ""


def _webhook_endpoint(obj: Any) -> WebhookEndpoint:
    obj = obj.to_dict() if hasattr(obj, "to_dict") else obj
    return WebhookEndpoint(
        id=str(obj["id"]),
        url=str(obj.get("url") or ""),
        enabled_events=tuple(str(name) for name in obj.get("enabled_events") or ()),
        secret=str(obj.get("secret") or ""),
        status=str(obj.get("status") or ""),
    )


def key_check(*, credentials: Credentials) -> None:
    """Prove that Stripe knows the secret key with an authenticated call (the account's
    balance, which every secret key may read). Raises PaymentAuthenticationError for a
    key Stripe does not know, PaymentPermissionError for a restricted key that may not
    read the balance, PaymentRetryableError when Stripe cannot be reached."""
    with _translated_errors():
        _client(credentials).v1.balance.retrieve(options=_options(credentials))


def webhook_endpoint_create(
    *,
    credentials: Credentials,
    url: str,
    events: Iterable[str],
    description: str,
    metadata: Mapping[str, str],
) -> WebhookEndpoint:
    """A webhook endpoint in the key's own account sending ``events`` to ``url``; its
    ``secret`` is in this answer only."""
    with _translated_errors():
        obj = _client(credentials).v1.webhook_endpoints.create(
            params={
                "url": url,
                "enabled_events": list(events),
                "description": description,
                "metadata": dict(metadata),
            },
            options=_options(credentials),
        )
    return _webhook_endpoint(obj)


def webhook_endpoint_retrieve(*, credentials: Credentials, endpoint_id: str) -> WebhookEndpoint:
    with _translated_errors():
        obj = _client(credentials).v1.webhook_endpoints.retrieve(
            endpoint_id, options=_options(credentials)
        )
    return _webhook_endpoint(obj)


def webhook_endpoint_delete(*, credentials: Credentials, endpoint_id: str) -> None:
    with _translated_errors():
        _client(credentials).v1.webhook_endpoints.delete(endpoint_id, options=_options(credentials))


def event_verify(*, payload: bytes, signature: str, secrets: Iterable[str]) -> tuple[Event, str]:
    """The event in ``payload`` if ``signature`` (the Stripe-Signature header) is valid
    for one of ``secrets`` and stamped within 300 s of now, either way (stripe-python
    checks only the past: an event stamped in the future would stay replayable until
    then); returns it with the secret that matched. Raises WebhookSignatureError
    otherwise."""
    if not signature:
        raise WebhookSignatureError("The Stripe-Signature header is missing.")
    stamped = _signature_timestamp(signature)
    if stamped is not None and stamped > time.time() + stripe.Webhook.DEFAULT_TOLERANCE:
        raise WebhookSignatureError("The event is stamped in the future; check the clock.")
    for secret in secrets:
        if not secret:
            continue
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, secret, stripe.Webhook.DEFAULT_TOLERANCE
            )
        except stripe.SignatureVerificationError:
            continue
        except UnicodeDecodeError:
            break
        try:
            data = json.loads(payload)
            event = Event(
                id=str(data["id"]),
                type=str(data["type"]),
                object=dict(data["data"]["object"]),
                account_id=str(data.get("account") or ""),
                created=int(data.get("created") or 0),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookSignatureError(f"The event is not a Stripe event ({exc}).") from None
        problem = _object_problem(event.object)
        if problem:  # signed, so ours or Stripe's: worth a look, never a 500
            logger.warning("Stripe event %s refused: %s", event.id, problem)
            raise WebhookSignatureError(f"The event is malformed: {problem}")
        return event, secret
    raise WebhookSignatureError("No valid signature for this endpoint, or the event is too old.")


MAX_AMOUNT = 10**12  # minor units; far above any order, within a bigint


def _object_problem(obj: dict) -> str:
    """What is wrong with the fields of an event's object the handlers read, or ""."""
    amount = obj.get("amount", 0)
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount < MAX_AMOUNT:
        return "its amount must be a whole number of minor units."
    if not isinstance(obj.get("id", ""), str):
        return "its object id must be text."
    metadata = obj.get("metadata") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        return "its metadata must map names to text."
    return ""


def _signature_timestamp(signature: str) -> int | None:
    """The ``t=`` of a Stripe-Signature header (the first, as stripe-python reads it)."""
    for item in signature.split(","):
        name, _, value = item.partition("=")
        if name.strip() == "t":
            try:
                return int(value)
            except ValueError:
                return None  # the signature check refuses it
    return None


def event_metadata(payload: bytes) -> dict[str, str]:
    """The metadata of the object in an event, read before its signature is checked:
    only to choose which secrets may have signed it. Empty if there is none."""
    try:
        data = json.loads(payload)
        metadata = data["data"]["object"].get("metadata") or {}
        return {str(k): str(v) for k, v in metadata.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def event_object_id(payload: bytes) -> str:
    """The id of the object in an event, read before (or without) its signature being
    checked: only to tell whom a refused request was probably meant for. Empty if none."""
    try:
        object_id = json.loads(payload)["data"]["object"].get("id", "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""
    return object_id[:255] if isinstance(object_id, str) else ""


# --- Connect: what a connected account earns and is paid (its balance) ------------------


@dataclass(frozen=True)
class PaymentFees:
    """What a payment left the connected account, from its charge's balance transaction
    (minor units of ``currency``): Stripe's processing fee, the platform's application
    fee, and the ``net`` added to the balance, available on ``available_on``."""

    amount: int
    currency: str
    stripe_fee: int
    application_fee: int
    net: int
    available_on: datetime | None


@dataclass(frozen=True)
class Payout:
    """A payout of the connected account's balance to its bank account."""

    id: str
    amount: int
    currency: str
    status: str  # paid, pending, in_transit, canceled, failed
    arrival_date: datetime | None
    failure_message: str = ""


def _moment(timestamp: Any) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), tz=UTC) if timestamp else None


def payment_fees(*, credentials: Credentials, payment_intent_id: str) -> PaymentFees | None:
    """The fees and net of the payment ``payment_intent_id`` (its succeeded charge's
    balance transaction, one call: ``GET /v1/charges?payment_intent=…`` expanded), or
    None while Stripe has no balance transaction for it yet."""
    with _translated_errors():
        page = (
            _client(credentials)
            .v1.charges.list(
                params={
                    "payment_intent": payment_intent_id,
                    "expand": ["data.balance_transaction"],
                    "limit": 10,
                },
                options=_options(credentials),
            )
            .to_dict()
        )
    for charge in page["data"]:
        transaction = charge.get("balance_transaction")
        if charge.get("status") != "succeeded" or not isinstance(transaction, Mapping):
            continue
        fees = {kind: 0 for kind in ("stripe_fee", "application_fee")}
        for detail in transaction.get("fee_details") or []:
            if detail.get("type") in fees:
                fees[detail["type"]] += int(detail.get("amount") or 0)
        return PaymentFees(
            amount=int(transaction["amount"]),
            currency=str(transaction["currency"]),
            stripe_fee=fees["stripe_fee"],
            application_fee=fees["application_fee"],
            net=int(transaction["net"]),
            available_on=_moment(transaction.get("available_on")),
        )
    return None


def payouts_list(*, credentials: Credentials, limit: int = 10) -> list[Payout]:
    """The connected account's latest payouts, newest first (``GET /v1/payouts``)."""
    with _translated_errors():
        page = (
            _client(credentials)
            .v1.payouts.list(params={"limit": limit}, options=_options(credentials))
            .to_dict()
        )
    return [
        Payout(
            id=str(payout["id"]),
            amount=int(payout["amount"]),
            currency=str(payout["currency"]),
            status=str(payout["status"]),
            arrival_date=_moment(payout.get("arrival_date")),
            failure_message=str(payout.get("failure_message") or ""),
        )
        for payout in page["data"]
    ]
