"""Connect with Stripe: one connected account per shop, Stripe's hosted onboarding and
the way back, ``account.updated`` from the platform's webhook, tenancy, and what the
merchant reads. Against the fake Stripe (tests/orders/fake_stripe_connect.py): nothing
of the project is mocked."""

from __future__ import annotations

import json

import pytest
import requests
from django.core.exceptions import ValidationError
from django.test import Client
from django_tenants.utils import tenant_context

from orders.models import PaymentAccount, StripeEvent
from orders.payment_accounts import (
    CONNECT_UNAVAILABLE,
    payment_account_onboarding_start,
    payment_account_remove,
    payment_account_state_refresh,
    shop_can_sell,
    shop_payments,
)
from tests.conftest import owner_client
from tests.orders.conftest import make_variant, shopper

ADMIN = "/admin/orders/paymentaccount/"


def start(slug: str) -> str:
    """Connect with Stripe in the active shop, as its admin would: the onboarding URL."""
    return payment_account_onboarding_start(
        refresh_url=f"http://{slug}.localhost{ADMIN}connect/refresh/",
        return_url=f"http://{slug}.localhost{ADMIN}connect/return/",
        email=f"owner@{slug}.test",
    )


def row() -> PaymentAccount:
    return PaymentAccount.objects.get()


def started(shop, slug: str) -> str:
    """Connect with Stripe clicked in ``shop``: the id of its connected account."""
    with tenant_context(shop):
        start(slug)
        return row().stripe_account_id


def deliver(body: bytes, signature: str, host: str = "alpha.localhost"):
    """POST an event to the Stripe webhook as Stripe does."""
    return Client(HTTP_HOST=host).post(
        "/webhooks/stripe/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


def calls(fake, method: str, path: str) -> list[dict]:
    return [r for r in fake.requests if r["method"] == method and r["path"] == path]


def test_connect_creates_one_account_per_shop_and_reuses_it(shop_a, fake_connect):
    # when: the merchant clicks Connect twice (the second time: back for more)
    with tenant_context(shop_a):
        first = start("alpha")
        second = start("alpha")
        account = row()
        payments = shop_payments()

    # then: one standard account, named by the shop, two single-use onboarding links
    (created,) = fake_connect.accounts.values()
    assert (created["type"], created["email"]) == ("standard", "owner@alpha.test")
    assert created["metadata"] == {"shop": "shop_alpha"}
    assert (account.mode, account.stripe_account_id) == ("connect", created["id"])
    assert first != second
    assert first.startswith(f"{fake_connect.url}/setup/e/{created['id']}/")
    (create_call,) = calls(fake_connect, "POST", "/v1/accounts")
    assert create_call["key"] == "sk_test_platform"
    assert create_call["idempotency_key"] == f"etalage-connect-{shop_a.pk}-shop_alpha"
    links = calls(fake_connect, "POST", "/v1/account_links")
    assert [link["form"] for link in links] == [
        {
            "account": created["id"],
            "type": "account_onboarding",
            "refresh_url": f"http://alpha.localhost{ADMIN}connect/refresh/",
            "return_url": f"http://alpha.localhost{ADMIN}connect/return/",
        }
    ] * 2
    # and: the shop cannot sell before Stripe enables charges, and says what to do
    assert not payments.can_sell
    assert payments.problem.startswith("Your Stripe account is not set up yet: click")
    assert "a bank account for your payouts" in payments.problem


def test_a_second_click_racing_the_first_gets_the_same_account(shop_a, fake_connect):
    # given: a shop whose first click created the account, its row then gone (as a
    # second request would have read it before the first stored it)
    with tenant_context(shop_a):
        start("alpha")
        first_id = row().stripe_account_id
        payment_account_remove()

        # when: Connect again
        start("alpha")

        # then: Stripe's idempotency key gave the same account back
        assert row().stripe_account_id == first_id
    assert len(fake_connect.accounts) == 1


def test_express_accounts_ask_for_the_capabilities_of_direct_charges(
    shop_a, fake_connect, settings
):
    settings.STRIPE_CONNECT_ACCOUNT_TYPE = "express"

    with tenant_context(shop_a):
        start("alpha")
        account_type = row().account_type

    (create_call,) = calls(fake_connect, "POST", "/v1/accounts")
    assert create_call["form"]["capabilities"] == {
        "card_payments": {"requested": "true"},
        "transfers": {"requested": "true"},
    }
    assert account_type == "express"


def test_back_from_onboarding_the_account_is_read_and_the_shop_sells(
    shop_a, fake_connect, django_capture_on_commit_callbacks
):
    # given: a shop that went through Stripe's onboarding (its pages cached meanwhile)
    with tenant_context(shop_a):
        start("alpha")
        variant = make_variant()
        fake_connect.complete(row().stripe_account_id)
        assert not shop_can_sell()

        # when: the merchant comes back
        with django_capture_on_commit_callbacks(execute=True):
            account = payment_account_state_refresh()
        payments = shop_payments()

    # then: Stripe's word is recorded, and the shop sells through its account
    assert (account.charges_enabled, account.details_submitted, account.payouts_enabled) == (
        True,
        True,
        True,
    )
    assert account.requirements_due == []
    assert account.account_checked_at is not None
    assert payments.can_sell
    assert (payments.credentials.secret_key, payments.credentials.account_id) == (
        "sk_test_platform",
        account.stripe_account_id,
    )
    page = shopper().get(f"/products/{variant.product.slug}/").content.decode()
    assert ">Buy now</button>" in page


def test_leaving_onboarding_early_says_in_words_what_stripe_still_needs(shop_a, fake_connect):
    with tenant_context(shop_a):
        start("alpha")
        fake_connect.complete(row().stripe_account_id, terms=False)
        account = payment_account_state_refresh()
        payments = shop_payments()

    assert (account.details_submitted, account.charges_enabled) == (True, False)
    assert account.requirements_due == ["tos_acceptance.date", "tos_acceptance.ip"]
    assert payments.problem == (
        "Stripe has not enabled payments on your account yet: it still needs your "
        "acceptance of Stripe's terms of service. The shop can sell as soon as Stripe "
        "enables them."
    )
    page = owner_client("alpha").get(ADMIN).content.decode()
    assert "Stripe: your shop cannot sell yet" in page
    assert "your acceptance of Stripe&#x27;s terms of service" in page
    assert ">Continue with Stripe</button>" in page


def test_account_updated_with_a_valid_signature_updates_the_state_once(shop_a, fake_connect):
    # given: a shop that started onboarding; Stripe then enables its account
    account_id = started(shop_a, "alpha")
    fake_connect.complete(account_id)
    body, signature = fake_connect.account_event(account_id, secret="whsec_platform")

    # when: Stripe sends account.updated to the platform's endpoint (twice)
    first = deliver(body, signature)
    again = deliver(body, signature)

    # then: recorded once, and the shop sells
    assert (first.status_code, first.json()) == (200, {"result": "handled"})
    assert again.json() == {"result": "duplicate"}
    with tenant_context(shop_a):
        assert row().charges_enabled
        assert shop_payments().can_sell
        assert StripeEvent.objects.filter(type="account.updated").count() == 1


def test_account_updated_with_a_bad_signature_is_refused(shop_a, fake_connect):
    account_id = started(shop_a, "alpha")
    fake_connect.complete(account_id)
    body, signature = fake_connect.account_event(account_id, secret="whsec_someone_else")

    response = deliver(body, signature)

    assert response.status_code == 400
    with tenant_context(shop_a):
        assert not row().charges_enabled
        assert not StripeEvent.objects.exists()


def test_an_account_updated_for_shop_a_never_changes_shop_b(shop_a, shop_b, fake_connect):
    # given: both shops started onboarding; only alpha's account is enabled
    alpha_account = started(shop_a, "alpha")
    beta_account = started(shop_b, "beta")
    fake_connect.complete(alpha_account)
    body, signature = fake_connect.account_event(alpha_account)
    # a platform-signed event of alpha's account whose metadata names beta
    forged = json.loads(body)
    forged["data"]["object"]["metadata"] = {"shop": "shop_beta"}
    forged_body, forged_signature = fake_connect._signed(forged, "whsec_platform")

    # when: both reach the webhook (on beta's host, which must not matter)
    answer = deliver(body, signature, host="beta.localhost")
    forged_answer = deliver(forged_body, forged_signature, host="beta.localhost")

    # then: alpha is updated, beta never
    assert answer.json() == {"result": "handled"}
    assert forged_answer.json() == {"result": "ignored: not this shop's account"}
    with tenant_context(shop_a):
        assert row().charges_enabled
    with tenant_context(shop_b):
        assert (row().stripe_account_id, row().charges_enabled) == (beta_account, False)
        assert not StripeEvent.objects.exists()


def test_shop_b_can_neither_see_nor_complete_shop_as_onboarding(shop_a, shop_b, fake_connect):
    # given: alpha connected; its account is enabled at Stripe
    alpha_account = started(shop_a, "alpha")
    fake_connect.complete(alpha_account)
    beta = owner_client("beta")

    # when: beta's owner comes "back from Stripe" on beta, then tries alpha's admin
    back = beta.get(f"{ADMIN}connect/return/", follow=True)
    on_alpha = beta.get(f"{ADMIN}connect/refresh/", HTTP_HOST="alpha.localhost")
    page = beta.get(ADMIN).content.decode()

    # then: beta has no account and learns nothing of alpha's; alpha's admin wants a login
    assert "Click “Connect with Stripe” in Payments" in back.content.decode()
    with tenant_context(shop_b):
        assert not PaymentAccount.objects.exists()
    assert on_alpha.status_code == 302 and "/admin/login/" in on_alpha["Location"]
    assert alpha_account not in page
    with tenant_context(shop_a):
        assert not row().charges_enabled  # only alpha's own return or event records it


def test_the_admin_connects_through_stripes_onboarding_and_back(shop_a, fake_connect):
    # given: the owner on Payments, a shop that cannot sell yet
    owner = owner_client("alpha")
    assert ">Connect with Stripe</button>" in owner.get(ADMIN).content.decode()

    # when: Connect with Stripe, the onboarding form at "Stripe", and back
    to_stripe = owner.post(f"{ADMIN}connect/")
    form = requests.get(to_stripe["Location"], timeout=5, allow_redirects=False)
    submitted = requests.post(
        to_stripe["Location"],
        data={"action": "submit", "tos": "accepted"},
        timeout=5,
        allow_redirects=False,
    )
    back = owner.get(submitted.headers["Location"], follow=True)

    # then: Stripe's page, back on Payments, in words: the shop can sell
    assert to_stripe.status_code == 302
    assert "Set up payments for owner@alpha.test" in form.text
    assert submitted.status_code == 303
    assert submitted.headers["Location"] == f"http://alpha.localhost{ADMIN}connect/return/"
    page = back.content.decode()
    assert back.redirect_chain[-1][0] == ADMIN
    assert "Back from Stripe: card payments are enabled, your shop can sell." in page
    assert "Stripe: your shop can sell" in page
    assert "Enabled: Stripe accepts payments for your shop" in page
    assert ">Check with Stripe again</a>" in page
    # a used link goes to refresh_url, which makes a new one for the same account
    reused = requests.get(to_stripe["Location"], timeout=5, allow_redirects=False)
    assert reused.headers["Location"] == f"http://alpha.localhost{ADMIN}connect/refresh/"
    refreshed = owner.get(f"{ADMIN}connect/refresh/")
    assert refreshed["Location"].startswith(f"{fake_connect.url}/setup/e/")
    assert len(fake_connect.accounts) == 1


def test_without_platform_keys_the_merchant_reads_what_to_do(shop_a, fake_connect, settings):
    # given: a Connect shop, on a platform whose Stripe keys are gone
    with tenant_context(shop_a):
        start("alpha")
    settings.STRIPE_SECRET_KEY = settings.STRIPE_PUBLISHABLE_KEY = ""

    with tenant_context(shop_a):
        payments = shop_payments()
        with pytest.raises(ValidationError) as refused:
            start("alpha")
    payments_page = owner_client("alpha").get(ADMIN).content.decode()
    orders_page = owner_client("alpha").get("/admin/orders/order/").content.decode()

    assert payments.problem.endswith(CONNECT_UNAVAILABLE)
    assert refused.value.messages == [CONNECT_UNAVAILABLE]
    for page in (payments_page, orders_page):
        assert "STRIPE_SECRET_KEY" not in page
        assert "use your own Stripe keys instead" in page
    assert ">Connect with Stripe</button>" not in payments_page


def test_stripe_unreachable_on_connect_says_so_and_changes_nothing(shop_a, fake_connect):
    fake_connect.stop()

    response = owner_client("alpha").post(f"{ADMIN}connect/", follow=True)

    assert "Stripe could not be reached to create your Stripe account" in (
        response.content.decode()
    )
    with tenant_context(shop_a):
        assert not PaymentAccount.objects.exists()
