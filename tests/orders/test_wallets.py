"""Wallets (Apple Pay, Google Pay) in Stripe's Payment Element: the shop's hosts
registered at Stripe as payment method domains (orders.wallets), on the connected
account with Connect and in the merchant's account with own keys, by a real worker
against the fake Stripe (tests/orders/fake_stripe_connect.py); once per host, local
hosts left out, one shop never registering another's hosts or using its account."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from orders.models import PaymentAccount
from orders.payment_accounts import payment_account_set_keys
from orders.wallets import (
    host_registrable,
    wallet_domains,
    wallet_domains_register,
    wallet_domains_sweep,
)
from shops.queueing import task_queue
from shops.services import domain_add
from tests.conftest import owner_client, tasks_sent_to, worker_start, worker_stop
from tests.orders.test_connect import started

PAYMENTS = "/admin/orders/paymentaccount/"
PMD = "/v1/payment_method_domains"


def connected(fake, shop, slug: str) -> str:
    """``shop`` selling through a connected account (onboarding done): its id."""
    account_id = started(shop, slug)
    fake.complete(account_id)
    owner_client(slug).get(f"{PAYMENTS}connect/return/")
    with tenant_context(shop):
        assert PaymentAccount.objects.get().charges_enabled
    return account_id


def registered(fake, account_id: str) -> list[str]:
    return sorted(d["domain_name"] for d in fake.payment_method_domains.get(account_id, []))


def creations(fake) -> list[dict]:
    return [r for r in fake.requests if r["method"] == "POST" and r["path"] == PMD]


@pytest.mark.parametrize(
    ("host", "registrable"),
    [
        ("shop.alpha-example.com", True),
        ("alpha.localhost", False),
        ("localhost", False),
        ("shop.test", False),
        ("Alpha.LocalHost.", False),
        ("intranet", False),
    ],
)
def test_only_hosts_stripe_would_register_are_sent(host, registrable):
    assert host_registrable(host) is registrable


def test_a_connect_shop_registers_its_hosts_once_on_its_connected_account(shop_a, fake_connect):
    account_a = connected(fake_connect, shop_a, "alpha")
    domain_add(shop=shop_a, domain="shop.alpha-example.com")

    with tenant_context(shop_a):
        assert wallet_domains_register() == 1
        assert wallet_domains_register() == 0  # run again: found at Stripe, not created

    assert registered(fake_connect, account_a) == ["shop.alpha-example.com"]
    (creation,) = creations(fake_connect)
    assert creation["form"] == {"domain_name": "shop.alpha-example.com"}
    assert creation["key"] == "sk_test_platform"  # the platform's key, on alpha's account
    asked = {r["form"].get("domain_name") for r in fake_connect.requests if r["path"] == PMD}
    assert shop_a.domains.filter(domain="alpha.localhost").exists()  # a host of alpha's…
    assert asked == {"shop.alpha-example.com"}  # …never sent
    with tenant_context(shop_a):
        (row,) = PaymentAccount.objects.get().wallet_domains
    assert (row["host"], row["enabled"], row["apple_pay"], row["google_pay"]) == (
        "shop.alpha-example.com",
        True,
        "active",
        "active",
    )


def test_shop_a_never_registers_shop_bs_hosts_or_uses_its_account(shop_a, shop_b, fake_connect):
    account_a = connected(fake_connect, shop_a, "alpha")
    account_b = connected(fake_connect, shop_b, "beta")
    domain_add(shop=shop_a, domain="shop.alpha-example.com")
    domain_add(shop=shop_b, domain="shop.beta-example.com")

    with tenant_context(shop_a):
        wallet_domains_register()

    assert registered(fake_connect, account_a) == ["shop.alpha-example.com"]
    assert registered(fake_connect, account_b) == []
    with tenant_context(shop_b):
        assert PaymentAccount.objects.get().wallet_domains == []
        wallet_domains_register()
    assert registered(fake_connect, account_b) == ["shop.beta-example.com"]
    assert registered(fake_connect, account_a) == ["shop.alpha-example.com"]
    page_b = owner_client("beta").get(PAYMENTS).content.decode()
    assert "shop.beta-example.com" in page_b and "shop.alpha-example.com" not in page_b


def test_the_payments_page_says_which_wallet_is_active_and_what_is_missing(
    shop_a, fake_connect, django_assert_max_num_queries
):
    connected(fake_connect, shop_a, "alpha")
    before = owner_client().get(PAYMENTS).content.decode()
    assert "data-wallet-domains" in before and "Not registered yet" in before
    for index in range(3):
        domain_add(shop=shop_a, domain=f"shop{index}.alpha-example.com")
    problem = "Apple Pay could not verify this domain: it does not answer over HTTPS."
    fake_connect.wallet_status["shop1.alpha-example.com"] = problem
    with tenant_context(shop_a):
        wallet_domains_register()
        with django_assert_max_num_queries(1):
            shown = wallet_domains()
    assert [d.ready for d in shown] == [True, False, True]

    page = owner_client().get(PAYMENTS).content.decode()
    assert 'data-wallet-domain="shop0.alpha-example.com" data-ready="yes"' in page
    assert 'data-wallet-domain="shop1.alpha-example.com" data-ready="no"' in page
    assert f"<dt>Apple Pay</dt><dd>{problem}</dd><dt>Google Pay</dt><dd>Active</dd>" in page


def test_stripe_refusing_a_host_is_recorded_and_the_others_registered(shop_a, fake_connect):
    account_a = connected(fake_connect, shop_a, "alpha")
    domain_add(shop=shop_a, domain="shop.alpha-example.com")
    domain_add(shop=shop_a, domain="shop.alpha.local")  # .local: kept from Stripe anyway
    with tenant_context(shop_a):
        assert wallet_domains_register() == 1
    assert registered(fake_connect, account_a) == ["shop.alpha-example.com"]


@pytest.mark.worker
def test_a_real_worker_registers_own_keys_hosts_when_the_keys_are_proven_and_a_domain_added(
    committed_shop, django_db_blocker, fake_connect, tmp_path
):
    # given: a shop (committed, seen by the worker) and the merchant's Stripe account
    slug = f"wallet{uuid.uuid4().hex[:6]}"
    shop = committed_shop(slug).shop
    merchant = fake_connect.merchant_key(f"sk_test_{slug}")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = worker_start(
        queue=queue, media_root=tmp_path, env={"STRIPE_API_BASE": fake_connect.url}
    )
    try:
        with tasks_sent_to(queue), django_db_blocker.unblock():
            # when: the shop's own keys are proven, then a custom domain is added
            with tenant_context(shop):
                payment_account_set_keys(
                    secret_key=f"sk_test_{slug}",
                    publishable_key=f"pk_test_{slug}",
                    webhook_secret=f"whsec_{slug}",
                )
            domain_add(shop=shop, domain=f"{slug}.shops-example.com")
            _wait(lambda: registered(fake_connect, merchant) == [f"{slug}.shops-example.com"])
            with tenant_context(shop):
                _wait(lambda: PaymentAccount.objects.get().wallet_domains != [])
                task_queue("orders.wallet_domains_register")  # and once more
            time.sleep(3)  # the third run's time to do anything
    finally:
        worker_stop(worker)

    # then: registered once, in the merchant's own account, the local host left out
    assert len(creations(fake_connect)) == 1
    assert registered(fake_connect, merchant) == [f"{slug}.shops-example.com"]
    with django_db_blocker.unblock(), tenant_context(shop):
        rows = PaymentAccount.objects.get().wallet_domains
    assert [row["host"] for row in rows] == [f"{slug}.shops-example.com"]
    with django_db_blocker.unblock():
        page = owner_client(slug).get(PAYMENTS).content.decode()
    assert f'data-wallet-domain="{slug}.shops-example.com" data-ready="yes"' in page


def _wait(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the worker did not register the domain"
        time.sleep(0.2)


def _long_ago(shop) -> None:
    """The last run and the last change of the payment setup, older than the sweep waits."""
    with tenant_context(shop):
        PaymentAccount.objects.update(
            updated=timezone.now() - timedelta(hours=1),
            wallet_domains_checked_at=None,
        )


def test_the_sweep_registers_a_host_whose_registration_was_never_run(shop_a, fake_connect):
    # given: a custom domain added while the broker was down (the commit's task never ran:
    # this test's transaction never commits)
    account_a = connected(fake_connect, shop_a, "alpha")
    domain_add(shop=shop_a, domain="shop.alpha-example.com")
    _long_ago(shop_a)
    assert registered(fake_connect, account_a) == []

    # when: the beat's sweep runs in the shop (tasks run at once in tests)
    with tenant_context(shop_a):
        queued = wallet_domains_sweep()
        again = wallet_domains_sweep()  # everything answered now: nothing to queue

    # then
    assert (queued, again) == (1, 0)
    assert registered(fake_connect, account_a) == ["shop.alpha-example.com"]
    with tenant_context(shop_a):
        assert [d.host for d in wallet_domains()] == ["shop.alpha-example.com"]


def test_the_sweep_waits_for_a_recent_run_and_leaves_a_refused_host_alone(
    shop_a, fake_connect, django_assert_max_num_queries
):
    connected(fake_connect, shop_a, "alpha")
    domain_add(shop=shop_a, domain="shop.alpha-example.com")
    with tenant_context(shop_a):
        # a change a moment ago: its own task is still coming
        assert wallet_domains_sweep() == 0
        # a host Stripe refused is answered: not asked again every sweep
        PaymentAccount.objects.update(
            wallet_domains=[{"host": "shop.alpha-example.com", "problem": "refused"}]
        )
    _long_ago(shop_a)
    # the schema's search_path, the payment setup, the wallet rows, the hosts
    with tenant_context(shop_a), django_assert_max_num_queries(4):
        assert wallet_domains_sweep() == 0
    assert creations(fake_connect) == []


def test_the_sweep_in_shop_a_never_registers_shop_bs_hosts(shop_a, shop_b, fake_connect):
    account_a = connected(fake_connect, shop_a, "alpha")
    account_b = connected(fake_connect, shop_b, "beta")
    domain_add(shop=shop_b, domain="shop.beta-example.com")
    _long_ago(shop_a)
    _long_ago(shop_b)

    with tenant_context(shop_a):
        assert wallet_domains_sweep() == 0  # alpha's hosts are local ones only

    assert registered(fake_connect, account_a) == registered(fake_connect, account_b) == []


def test_the_beat_runs_the_wallet_domains_sweep_in_every_shop(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["orders-wallet-domains-sweep"]
    assert entry["task"] == "shops.for_each_shop"
    assert entry["args"] == ["orders.wallet_domains_sweep"]
