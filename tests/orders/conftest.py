"""Fixtures of the orders tests: the fake Stripe for Connect, shops that can sell, products to
buy (localstripe and ``stripe_settings`` are in tests/conftest.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.models import Product, Variant
from catalog.services import VariantInput, product_create
from orders.models import Order, PaymentAccount
from orders.payment_accounts import payment_account_set_keys
from tests.factories import ProductFactory
from tests.orders.fake_stripe_connect import FakeStripeConnect

SECRET_KEY = {"alpha": "sk_test_alpha", "beta": "sk_test_beta"}
WEBHOOK_SECRET = {"alpha": "whsec_alpha", "beta": "whsec_beta"}


@pytest.fixture
def fake_connect(settings) -> Iterator[FakeStripeConnect]:
    """The fake Stripe for Connect onboarding, key checks and webhook endpoints
    (tests/orders/fake_stripe_connect.py), as the platform's Stripe: its keys, and
    "whsec_platform" for the platform's webhook endpoint."""
    fake = FakeStripeConnect(platform_key="sk_test_platform")
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_SECRET_KEY = "sk_test_platform"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_platform"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_platform"
    yield fake
    fake.stop()


def shop_sells(slug: str) -> None:
    """Give the active shop its own (localstripe) Stripe keys, so its pages offer Buy now
    (the key is checked at STRIPE_API_BASE: the ``stripe_settings`` fixture's localstripe)."""
    payment_account_set_keys(
        secret_key=SECRET_KEY.get(slug, f"sk_test_{slug}"),
        publishable_key=f"pk_test_{slug}",
        webhook_secret=WEBHOOK_SECRET.get(slug, f"whsec_{slug}"),
    )


def make_variant(
    *,
    title: str = "Canvas Tote",
    sku: str = "TOTE",
    price: str = "24.00",
    stock: int = 10,
    status: str = Product.Status.ACTIVE,
) -> Variant:
    """A product of one variant (``tests.factories.ProductFactory``), its variant."""
    return ProductFactory(
        title=title, status=status, sku=sku, price=Decimal(price), stock=stock
    ).variants.get()


@pytest.fixture
def selling_a(shop_a, stripe_settings):
    """Shop alpha with Stripe keys and a variant (10 in stock at 24.00)."""
    with tenant_context(shop_a):
        shop_sells("alpha")
        variant = make_variant()
    return variant


def shopper(slug: str = "alpha") -> Client:
    return Client(HTTP_HOST=f"{slug}.localhost", enforce_csrf_checks=True)


# where the tests' parcels go (a physical product needs an address: orders.services.buy_now)
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "1 Rue de Rivoli",
    "postal_code": "75001",
    "city": "Paris",
    "country": "FR",
}


def buy(client: Client, body: dict, key: str | None = None):
    """POST buy-now with ``body`` (an address added when it has none)."""
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    body = {"shipping_address": ADDRESS, **body} if isinstance(body, dict) else body
    return client.post(
        "/api/v1/buy-now/", data=json.dumps(body), content_type="application/json", **headers
    )


def signed(payload: dict, secret: str, *, timestamp: int | None = None) -> dict:
    """Client kwargs for a webhook POST signed like Stripe does."""
    body = json.dumps(payload)
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return {
        "data": body,
        "content_type": "application/json",
        "HTTP_STRIPE_SIGNATURE": f"t={timestamp},v1={signature.hexdigest()}",
    }


def intent_event(
    *,
    event_id: str,
    type: str,
    intent_id: str,
    shop: str,
    order: str,
    amount: int,
    currency: str = "eur",
    status: str = "succeeded",
    account: str | None = None,
) -> dict:
    event = {
        "id": event_id,
        "object": "event",
        "type": type,
        "created": int(time.time()),
        "data": {
            "object": {
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount,
                "currency": currency,
                "status": status,
                "metadata": {"shop": shop, "order": order},
            }
        },
    }
    if account:
        event["account"] = account
    return event


def card_token(base: str, number: str = "4242424242424242", key: str = "pk_test_alpha") -> str:
    """A card token as localstripe's Stripe.js card element makes it (POST /v1/tokens)."""
    response = requests.post(
        f"{base}/v1/tokens",
        data={
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "2040",
            "card[cvc]": "123",
            "key": key,
        },
        timeout=5,
    )
    response.raise_for_status()
    return response.json()["id"]


def pay(client: Client, answer: dict, token: str):
    """Pay a buy-now answer's order with a card token, as buy_now.js does with localstripe."""
    return client.post(
        f"/api/v1/buy-now/{answer['order']['id']}/pay/",
        data=json.dumps({"secret": answer["payment"]["client_secret"], "token": token}),
        content_type="application/json",
    )


def paid_order(
    shop,
    slug: str,
    items: list[tuple[Variant, int]],
    localstripe: str,
    shipping_address: dict | None = None,
    **body: object,
) -> Order:
    """An order for ``items`` bought on ``slug``'s host and paid at localstripe, its
    success event handled: paid, its stock committed. ``body``: more buy-now fields
    (``shipping_rate``…)."""
    answer = buy(
        shopper(slug),
        {
            "items": [{"variant_id": v.id, "quantity": q} for v, q in items],
            "email": "shopper@example.com",
            **({"shipping_address": shipping_address} if shipping_address else {}),
            **body,
        },
    ).json()
    assert "order" in answer, answer
    pay(shopper(slug), answer, card_token(localstripe, key=f"pk_test_{slug}"))
    with tenant_context(shop):
        order = Order.objects.get(public_id=answer["order"]["id"])
    event = intent_event(
        event_id=f"evt_{slug}_{order.id}",
        type="payment_intent.succeeded",
        intent_id=order.payment_intent_id,
        shop=f"shop_{slug}",
        order=str(order.public_id),
        amount=order.amount_minor,
    )
    assert (
        shopper(slug).post("/webhooks/stripe/", **signed(event, f"whsec_{slug}")).status_code == 200
    )
    with tenant_context(shop):
        order = Order.objects.get(id=order.id)
    assert (order.status, order.stock_status) == ("paid", "committed")
    return order


@pytest.fixture
def shirt(shop_a, selling_a) -> Variant:
    with tenant_context(shop_a):
        product = product_create(
            title="Linen Shirt",
            status="active",
            variants=[VariantInput(sku="SHIRT-M", price="22.00", stock=5, options=["Blue", "M"])],
        )
        return product.variants.get()


def connected_and_selling(fake: FakeStripeConnect, account_id: str, **fields: object) -> str:
    """A connected account at the fake that finished onboarding, and the current shop's
    payment account pointing at it, able to take payments (``fields`` add to it, e.g.
    ``payouts_enabled=True``); its id. Call it in the shop's tenant context."""
    account = fake._account(account_id, "standard", {}, "")
    fake.accounts[account["id"]] = account
    fake.complete(account["id"])
    PaymentAccount.objects.create(
        id=1,
        mode=PaymentAccount.Mode.CONNECT,
        stripe_account_id=account["id"],
        account_type="standard",
        charges_enabled=True,
        details_submitted=True,
        account_checked_at=timezone.now(),
        **fields,
    )
    return account["id"]
