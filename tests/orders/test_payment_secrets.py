"""A shop's own Stripe keys the platform's key list cannot open: the shop cannot sell,
and the admin and the buy-now answer say why (never a 500)."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from catalog.models import Variant
from orders.payment_accounts import shop_payments
from tests.conftest import SECRETS_KEY_A as KEY_A
from tests.conftest import SECRETS_KEY_B as KEY_B
from tests.conftest import owner_client
from tests.orders.conftest import buy, make_variant, shop_sells, shopper

UNREADABLE = (
    "The shop&#x27;s Stripe keys cannot be decrypted with the platform&#x27;s secrets keys "
    "(SECRETS_KEYS)"
)


@pytest.fixture
def alpha_sells_under_key_a(shop_a, stripe_settings, secrets_keys):
    with tenant_context(shop_a):
        shop_sells("alpha")
        return make_variant()


@pytest.mark.parametrize(
    "key_list",
    [[KEY_B], ["not-a-fernet-key", KEY_A]],
    ids=["the key it was written with is gone", "a key that is not a Fernet key"],
)
def test_keys_the_list_cannot_read_stop_the_sales_with_a_message(
    shop_a, alpha_sells_under_key_a, secrets_keys, key_list
):
    secrets_keys(*key_list)

    with tenant_context(shop_a):
        payments = shop_payments()
    admin = owner_client("alpha").get("/admin/orders/order/")
    answer = buy(
        shopper(),
        {
            "items": [{"variant_id": alpha_sells_under_key_a.id, "quantity": 1}],
            "email": "ada@example.com",
        },
    )

    assert not payments.can_sell
    assert "cannot be decrypted with the platform's secrets keys" in payments.problem
    assert admin.status_code == 200
    assert f"Your shop cannot sell: Payments are not set up for this shop yet. {UNREADABLE}" in (
        admin.content.decode()
    )
    assert answer.status_code == 503
    with tenant_context(shop_a):
        assert Variant.objects.get(id=alpha_sells_under_key_a.id).available == 10


def test_the_keys_are_read_again_once_their_key_is_back_in_the_list(
    shop_a, alpha_sells_under_key_a, secrets_keys
):
    secrets_keys(KEY_B)
    with tenant_context(shop_a):
        assert not shop_payments().can_sell

    secrets_keys(KEY_B, KEY_A)

    with tenant_context(shop_a):
        payments = shop_payments()
    assert payments.can_sell
    assert (payments.credentials.secret_key, payments.webhook_secret) == (
        "sk_test_alpha",
        "whsec_alpha",
    )
