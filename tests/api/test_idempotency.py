"""One Idempotency-Key mechanism (shops.api.idempotency) for the partner API and buy-now:
the answer is stored in the transaction of the effect, so a failure after the commit
never lets a retry apply the request twice. Real commits (committed shops), real
signals: the failure after commit is an ``on_commit`` step queued by a receiver."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_save
from django_tenants.utils import tenant_context

from catalog.models import Product, Variant
from orders.models import Order
from shops.api.models import IdempotencyRecord
from tests.api.conftest import ApiClient
from tests.orders.conftest import buy, make_variant, shop_sells, shopper

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
PRODUCT = {"title": "Committed", "variants": [{"sku": "COMMITTED", "price": "5.00"}]}


class StepAfterCommitFails(RuntimeError):
    pass


@pytest.fixture
def fail_after_commit() -> Iterator[Callable[[type], list[str]]]:
    """``fail_after_commit(Model)``: every save of ``Model`` queues an ``on_commit`` step
    that raises, as a task run in the request after commit does when its platform is
    down. Yields the list of failures."""
    receivers = []

    def install(model: type) -> list[str]:
        failures: list[str] = []

        def fail() -> None:
            failures.append(model.__name__)
            raise StepAfterCommitFails("a step after the commit failed")

        def receiver(sender, instance, created, **kwargs) -> None:
            if created:
                transaction.on_commit(fail)

        post_save.connect(receiver, sender=model, weak=False)
        receivers.append((receiver, model))
        return failures

    yield install
    for receiver, model in receivers:
        post_save.disconnect(receiver, sender=model)


def test_a_post_that_fails_after_commit_replays_its_committed_answer(
    committed_shop, make_key, django_db_blocker, fail_after_commit
):
    # given a committed shop whose product saves fail after their commit
    shop = committed_shop("aftercommit").shop
    with django_db_blocker.unblock():
        api = ApiClient("aftercommit", make_key(shop))
        api.client.raise_request_exception = False
        failures = fail_after_commit(Product)

        # when the partner posts, gets the error, and retries with the same key
        first = api.post("/api/v1/products/", PRODUCT, headers={"Idempotency-Key": "once"})
        second = api.post("/api/v1/products/", PRODUCT, headers={"Idempotency-Key": "once"})
        third = api.post("/api/v1/products/", PRODUCT, headers={"Idempotency-Key": "once"})

        # then the client got its error, and the retries the committed answer
        assert first.status_code == 500
        assert failures == ["Product"]
        assert (second.status_code, third.status_code) == (201, 201)
        assert second["Idempotent-Replayed"] == third["Idempotent-Replayed"] == "true"
        assert second.content == third.content
        with tenant_context(shop):
            product = Product.objects.get()
            record = IdempotencyRecord.objects.get(key="once")
        assert second.json()["id"] == product.id
        assert second.json()["title"] == "Committed"
        assert record.response_body.encode() == second.content
        connection.close()


def test_buy_now_that_fails_after_commit_holds_one_order(
    committed_shop, django_db_blocker, stripe_settings, fail_after_commit
):
    # given a committed shop that sells a variant (5 in stock), whose orders fail after
    # their commit
    shop = committed_shop("buyonce").shop
    with django_db_blocker.unblock():
        with tenant_context(shop):
            shop_sells("alpha")
            variant = make_variant(sku="ONCE", stock=5)
        failures = fail_after_commit(Order)
        client = shopper("buyonce")
        client.raise_request_exception = False
        payload = {"items": [{"variant_id": variant.id, "quantity": 1}], "email": "s@example.com"}

        # when the shopper's page retries buy-now three times with one key
        answers = [buy(client, payload, key="tap-1") for _ in range(3)]

        # then one order holds one unit: the first retry resumes it (its first answer),
        # the next replays that answer byte for byte
        assert [answer.status_code for answer in answers] == [500, 201, 201]
        assert failures == ["Order"]
        assert "Idempotent-Replayed" not in answers[1]
        assert answers[2]["Idempotent-Replayed"] == "true"
        assert answers[1].content == answers[2].content
        with tenant_context(shop):
            order = Order.objects.get()
            assert Variant.objects.get(id=variant.id).available == 4
        assert answers[1].json()["order"]["id"] == str(order.public_id)
        assert answers[1].json()["payment"]["client_secret"] == order.client_secret
        connection.close()


def test_a_request_that_lost_its_stale_claim_rolls_its_effect_back(
    committed_shop, make_key, django_db_blocker
):
    # given a POST still running when another request takes its claim over (as after
    # IDEMPOTENCY_STALE_AFTER): the takeover commits on a connection of its own
    shop = committed_shop("takeover").shop
    with django_db_blocker.unblock():
        api = ApiClient("takeover", make_key(shop))
        api.client.raise_request_exception = False

        def take_over() -> None:
            try:
                with tenant_context(shop):
                    IdempotencyRecord.objects.filter(key="slow").update(claimed_at=LONG_AGO)
            finally:
                connection.close()

        def receiver(sender, instance, created, **kwargs) -> None:
            thread = threading.Thread(target=take_over)
            thread.start()
            thread.join(timeout=30)

        post_save.connect(receiver, sender=Product, weak=False)
        try:
            # when the first request finishes its work after losing its claim
            response = api.post("/api/v1/products/", PRODUCT, headers={"Idempotency-Key": "slow"})
        finally:
            post_save.disconnect(receiver, sender=Product)

        # then its effect is rolled back: the request now holding the key does the work
        assert response.status_code == 500
        with tenant_context(shop):
            assert not Product.objects.exists()
            assert IdempotencyRecord.objects.get(key="slow").status_code is None
        connection.close()
