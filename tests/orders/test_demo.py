"""The demo's payments (``make run`` → ``manage.py rundemo``): against a real localstripe,
the wiring leaves the demo shop able to sell, touches no other shop, and never replaces
a Stripe connection made by hand."""

import requests
from django_tenants.utils import tenant_context

from orders.demo import (
    DEMO_SECRET_KEY,
    DEMO_WEBHOOK_SECRET,
    demo_payments_local,
    demo_payments_owner,
)
from orders.models import Order
from orders.payment_accounts import shop_payments
from tests.orders.conftest import buy, make_variant, shop_sells, shopper
from tests.orders.test_not_selling import CLOSED, page


def _webhook_off(base: str) -> None:
    """Later tests' payments are no business of the demo's webhook address."""
    requests.post(
        f"{base}/_config/webhooks/etalage-demo",
        json={"url": "http://127.0.0.1:9/", "secret": "whsec_off", "events": []},
        timeout=5,
    ).raise_for_status()


def test_the_demo_wiring_lets_the_shop_sell_through_localstripe(
    shop_a, shop_b, stripe_settings, localstripe
):
    with tenant_context(shop_a):
        variant = make_variant()
    with tenant_context(shop_b):
        make_variant()
    assert demo_payments_owner(shop_a) == ""  # no connection yet: the demo may set it

    try:
        demo_payments_local(
            shop_a, stripe_base=localstripe, webhook_url="http://localhost:9/webhooks/stripe/"
        )
    finally:
        _webhook_off(localstripe)

    alpha = page("/products/canvas-tote/", "alpha")
    assert 'class="button buy-now"' in alpha and CLOSED not in alpha
    response = buy(
        shopper(), {"items": [{"variant_id": variant.id, "quantity": 1}], "email": "a@b.example"}
    )
    assert response.status_code == 201, response.content
    intent_id = response.json()["payment"]["client_secret"].split("_secret_")[0]
    intent = requests.get(
        f"{localstripe}/v1/payment_intents/{intent_id}", auth=(DEMO_SECRET_KEY, ""), timeout=5
    ).json()
    assert (intent["amount"], intent["metadata"]["shop"]) == (2400, shop_a.schema_name)
    with tenant_context(shop_a):
        assert shop_payments().webhook_secret == DEMO_WEBHOOK_SECRET
        assert Order.objects.get().status == Order.Status.PENDING_PAYMENT
    assert demo_payments_owner(shop_a) == ""  # the next run may set it again

    beta = page("/products/canvas-tote/", "beta")  # the other shop still cannot sell
    assert CLOSED in beta and 'class="button buy-now"' not in beta


def test_a_connection_made_by_hand_is_not_the_demos_to_replace(shop_b):
    with tenant_context(shop_b):
        shop_sells("beta")

    assert "has a Stripe connection of its own" in demo_payments_owner(shop_b)
