"""A shop's own Stripe keys, verified: a key Stripe does not know is refused on save and
nothing is saved; the webhook endpoint is created through Stripe's API with the shop's
URL and its secret stored encrypted, so the merchant never copies a whsec_; the shop
sells only once Stripe has proven the key. Against the fake Stripe
(tests/orders/fake_stripe_connect.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from orders import services
from orders.models import PaymentAccount
from orders.payment_accounts import WEBHOOK_EVENTS, payment_account_set_keys, shop_payments
from shops.secrets import secret_decrypt
from tests.conftest import owner_client
from tests.orders.conftest import make_variant, shopper
from tests.orders.test_connect import deliver

ALPHA_WEBHOOK = "http://alpha.localhost/webhooks/stripe/"
ADMIN = "/admin/orders/paymentaccount/"


def save(secret_key: str, *, webhook_secret: str = "", publishable_key: str = "pk_test_alpha"):
    return payment_account_set_keys(
        secret_key=secret_key,
        publishable_key=publishable_key,
        webhook_secret=webhook_secret,
        webhook_url=ALPHA_WEBHOOK,
    )


def test_a_key_stripe_does_not_know_is_refused_and_nothing_is_saved(shop_a, fake_connect):
    with tenant_context(shop_a):
        variant = make_variant()
        with pytest.raises(ValidationError) as refused:
            save("sk_test_made_up_1234")

        assert refused.value.message_dict == {
            "secret_key": [
                "Stripe does not know this secret key: copy it again from your Stripe dashboard "
                "(Developers → API keys). Nothing was saved."
            ]
        }
        assert not PaymentAccount.objects.exists()
    (call,) = fake_connect.requests
    assert (call["method"], call["path"], call["key"]) == (
        "GET",
        "/v1/balance",
        "sk_test_made_up_1234",
    )
    assert not fake_connect.endpoints
    page = shopper().get(f"/products/{variant.product.slug}/").content.decode()
    assert ">Buy now</button>" not in page
    assert "This shop isn't taking orders yet." in page


def test_the_admin_refuses_a_wrong_key_with_a_clear_message(shop_a, fake_connect):
    response = owner_client("alpha").post(
        f"{ADMIN}add/", {"publishable_key": "pk_test_alpha", "secret_key": "sk_test_typo"}
    )

    assert response.status_code == 200
    assert "Stripe does not know this secret key" in response.content.decode()
    with tenant_context(shop_a):
        assert not PaymentAccount.objects.exists()


def test_a_known_key_gets_its_webhook_endpoint_and_its_secret_stored_encrypted(
    shop_a, fake_connect, django_capture_on_commit_callbacks
):
    # given: the merchant's own Stripe account
    fake_connect.merchant_key("sk_test_alpha_own")

    # when: they save their keys, no signing secret
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        variant = make_variant()
        saved = save("sk_test_alpha_own")

    # then: an endpoint for the shop's URL and the events it handles, its secret kept
    (endpoint,) = fake_connect.endpoints.values()
    assert endpoint["url"] == ALPHA_WEBHOOK
    assert endpoint["enabled_events"] == list(WEBHOOK_EVENTS)
    assert endpoint["metadata"] == {"etalage_shop": "shop_alpha"}
    assert saved.webhook_endpoint_id == endpoint["id"]
    assert endpoint["secret"] not in saved.webhook_secret_encrypted
    assert secret_decrypt(saved.webhook_secret_encrypted) == endpoint["secret"]
    assert "sk_test_alpha_own" not in saved.secret_key_encrypted
    assert saved.verified_at is not None
    with tenant_context(shop_a):
        assert shop_payments().can_sell
    assert (
        ">Buy now</button>" in shopper().get(f"/products/{variant.product.slug}/").content.decode()
    )
    # and: what Stripe signs with that endpoint's secret is the shop's
    body, signature = fake_connect.endpoint_event(
        endpoint["id"],
        "payment_intent.succeeded",
        {
            "id": "pi_unknown",
            "object": "payment_intent",
            "amount": 100,
            "currency": "eur",
            "status": "succeeded",
            "metadata": {"shop": "shop_alpha", "order": "not-an-order"},
        },
    )
    answer = deliver(body, signature)
    assert (answer.status_code, answer.json()) == (200, {"result": "unknown order"})


def test_the_endpoint_asks_for_every_event_the_shop_handles():
    assert set(WEBHOOK_EVENTS) == set(services.EVENT_HANDLERS)


def test_saving_the_same_keys_again_keeps_the_endpoint(shop_a, fake_connect):
    fake_connect.merchant_key("sk_test_alpha_own")

    with tenant_context(shop_a):
        first = save("sk_test_alpha_own")
        second = save("sk_test_alpha_own")

    assert len(fake_connect.endpoints) == 1
    assert second.webhook_endpoint_id == first.webhook_endpoint_id
    assert secret_decrypt(second.webhook_secret_encrypted) == secret_decrypt(
        first.webhook_secret_encrypted
    )


def test_keys_of_another_account_replace_the_former_endpoint(
    shop_a, fake_connect, django_capture_on_commit_callbacks
):
    first_account = fake_connect.merchant_key("sk_test_first_account")
    second_account = fake_connect.merchant_key("sk_test_second_account")

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        save("sk_test_first_account")
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        saved = save("sk_test_second_account")

    (endpoint,) = fake_connect.endpoints.values()
    assert (endpoint["account"], endpoint["id"]) == (second_account, saved.webhook_endpoint_id)
    deleted = [r for r in fake_connect.requests if r["method"] == "DELETE"]
    assert [r["key"] for r in deleted] == ["sk_test_first_account"]
    assert first_account != second_account


def test_a_key_that_may_not_create_endpoints_says_what_to_do(shop_a, fake_connect):
    # given: a restricted key that may read the balance only
    fake_connect.merchant_key("rk_test_alpha_limited", permissions={"balance_read"})

    # when: saved without a signing secret, then with the secret of an endpoint of theirs
    with tenant_context(shop_a):
        with pytest.raises(ValidationError) as refused:
            save("rk_test_alpha_limited")
        assert not PaymentAccount.objects.exists()
        saved = save("rk_test_alpha_limited", webhook_secret="whsec_their_own_endpoint")

    # then: the message names the permission and the way round it; the second is saved
    (message,) = refused.value.message_dict["webhook_secret"]
    assert message.startswith("This key may not create webhook endpoints")
    assert f"create an endpoint for {ALPHA_WEBHOOK} in Stripe" in message
    assert message.endswith("Nothing was saved.")
    assert (saved.webhook_endpoint_id, saved.verified_at is not None) == ("", True)
    assert secret_decrypt(saved.webhook_secret_encrypted) == "whsec_their_own_endpoint"
    assert not fake_connect.endpoints


def test_a_live_publishable_key_with_a_test_secret_key_is_refused(shop_a, fake_connect):
    with tenant_context(shop_a), pytest.raises(ValidationError) as refused:
        save("sk_test_alpha_own", publishable_key="pk_live_alpha")

    assert refused.value.message_dict["publishable_key"][0].startswith(
        "This is a live mode key and the secret key a test mode one"
    )
    assert not fake_connect.requests


def test_stripe_unreachable_saves_nothing(shop_a, fake_connect):
    fake_connect.stop()

    with tenant_context(shop_a):
        with pytest.raises(ValidationError) as refused:
            save("sk_test_alpha_own")
        assert not PaymentAccount.objects.exists()

    assert refused.value.messages == [
        "Stripe could not be reached to check the key; nothing was changed. Try again in a minute."
    ]


def test_the_payments_page_says_the_endpoint_was_made_for_the_merchant(shop_a, fake_connect):
    fake_connect.merchant_key("sk_test_alpha_own")

    saved = owner_client("alpha").post(
        f"{ADMIN}add/",
        {"publishable_key": "pk_test_alpha", "secret_key": "sk_test_alpha_own"},
        follow=True,
    )

    page = saved.content.decode()
    (endpoint,) = fake_connect.endpoints.values()
    assert endpoint["url"] == "http://alpha.localhost/webhooks/stripe/"
    assert "Stripe knows your keys: your shop can sell." in page
    assert "Your shop can sell through your own Stripe account." in page
    assert f"Created by Etalage in your Stripe account ({endpoint['id']})" in page
