"""No request waits on, or fails because of, another system (issue 14).

With the broker stopped (a Redis server of the test's own, so no other test loses its
broker), a platform on a closed port, or the mail server on a closed port, every write a
merchant, a partner or a shopper makes answers its committed result; when the system
comes back, the sweeps and retries deliver the work exactly once.
"""

from __future__ import annotations

import collections
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django_tenants.utils import tenant_context

from catalog.import_jobs import import_jobs_queued_queue
from catalog.models import CatalogChange, ImportJob, Product, Variant
from config import embedded_redis
from config.celery import app as celery_app
from orders.models import Order, OrderEmail
from orders.services import order_emails_sweep
from reviews.models import Review
from shops.api.services import api_key_create
from shops.channels.models import Connection
from shops.channels.services import connection_create, syncs_pending_queue
from shops.channels.sync import connection_sync
from tests.catalog.test_admin import product_post
from tests.catalog.test_imports import csv_bytes, tee_rows
from tests.channels.conftest import complete_product, fake_meta  # noqa: F401
from tests.conftest import SHOP_PASSWORD, worker_start
from tests.orders.conftest import (  # noqa: F401
    buy,
    card_token,
    intent_event,
    localstripe,
    pay,
    shop_sells,
    signed,
    stripe_settings,
)

pytestmark = pytest.mark.worker
REVIEW = {"rating": "4", "title": "Nice", "body": "Soft.", "display_name": "Maya",
          "email": "maya@example.test"}  # fmt: skip
# a product of its own, without a picture to download (no network beyond loopback)
CSV_ROWS = [
    {key: value for key, value in row.items() if not str(value).startswith("https://")}
    for row in tee_rows(handle="csv-tee", sku="CSV")
]


def wait_until(check: Callable[[], bool], django_db_blocker, timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with django_db_blocker.unblock():
            if check():
                return True
        time.sleep(0.1)
    return False


def _pools_reset() -> None:
    """Make the test process's producers connect to ``broker_url`` anew."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


class Broker:
    """A Redis broker of the test's own on a fixed loopback port, stopped until started."""

    def __init__(self, workdir: Path) -> None:
        self.port = embedded_redis.free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def running(self):
        return embedded_redis.redis_server(port=self.port, workdir=self.workdir)


@pytest.fixture
def stopped_broker(tmp_path, monkeypatch) -> Iterator[Broker]:
    """The test process sends its tasks (not eagerly) to a broker that is not running."""
    broker = Broker(tmp_path / "redis")
    monkeypatch.setenv("CELERY_BROKER_URL", broker.url)  # Celery reads it before its conf
    conf = celery_app.conf
    previous = (conf.broker_url, conf.task_always_eager, conf.task_default_queue)
    conf.broker_url, conf.task_always_eager = broker.url, False
    conf.task_default_queue = f"test-{uuid.uuid4().hex[:8]}"
    _pools_reset()
    try:
        yield broker
    finally:
        conf.broker_url, conf.task_always_eager, conf.task_default_queue = previous
        _pools_reset()


@pytest.fixture
def unblocked(django_db_blocker) -> Iterator[None]:
    """Requests of the test client reach the (committed) test database."""
    with django_db_blocker.unblock():
        yield


def owner_client(slug: str) -> Client:
    client = Client(HTTP_HOST=f"{slug}.localhost")
    client.post("/admin/login/", {"username": f"owner@{slug}.test", "password": SHOP_PASSWORD})
    return client


def test_with_the_broker_stopped_every_write_answers_and_the_platform_gets_it_once_later(
    stopped_broker, fake_meta, stripe_settings, committed_shop, django_db_blocker, unblocked,  # noqa: F811
    settings, tmp_path, monkeypatch,
):  # fmt: skip
    # given: a shop that sells, with a product live on Meta (synced while all was well)
    settings.MEDIA_ROOT, settings.QUEUE_SWEEP_AFTER_SECONDS = tmp_path, 0
    monkeypatch.setenv("CHANNELS_META_API_BASE", fake_meta.url)
    monkeypatch.setenv("CHANNELS_BATCH_POLL_SECONDS", "0.05")
    slug = "outage-broker"
    shop = committed_shop(slug).shop
    with django_db_blocker.unblock(), tenant_context(shop):
        shop_sells(slug)
        tee = complete_product()
        small = tee.variants.get(sku="TEE-S")
        secret = api_key_create(name="Partner", scopes=["catalog:write", "catalog:read"]).secret
        connection = connection_create(
            channel="meta", access_token=fake_meta.token, external_id=fake_meta.catalog_id
        )
        Connection.objects.filter(pk=connection.pk).update(outbox_last_id=0)
        connection_sync(connection_id=connection.pk)
    retailer = f"{tee.pk}-{small.pk}"
    assert fake_meta.items[retailer]["inventory"] == 3
    batches_before = len(fake_meta.batches)

    # when: the broker is stopped, the merchant, a partner and shoppers write
    owner, partner = owner_client(slug), Client(HTTP_HOST=f"{slug}.localhost")
    api = {"content_type": "application/json", "headers": {"Authorization": f"Bearer {secret}"}}
    started = time.monotonic()
    answers = {
        "admin product add": owner.post("/admin/catalog/product/add/", product_post()),
        "api product create": partner.post(
            "/api/v1/products/",
            json.dumps({"title": "Linen Shirt", "variants": [{"sku": "LS-S", "price": "49"}]}),
            **api,
        ),
        "api product update": partner.patch(
            f"/api/v1/products/{tee.pk}/", json.dumps({"title": "Linen Tee II"}), **api
        ),
        "csv import": owner.post(
            "/admin/catalog/importjob/add/",
            {"file": ContentFile(csv_bytes(CSV_ROWS), name="p.csv")},
        ),
        "buy now": buy(
            Client(HTTP_HOST=f"{slug}.localhost", enforce_csrf_checks=True),
            {"items": [{"variant_id": small.pk, "quantity": 1}], "email": "s@example.test"},
        ),
        "review": Client(HTTP_HOST=f"{slug}.localhost").post(
            f"/products/{tee.slug}/reviews/", REVIEW
        ),
        "sync now": owner.post(f"/admin/channels/connection/{connection.pk}/sync-now/"),
    }
    elapsed = time.monotonic() - started

    # then: every answer is the committed result, none waited on the broker
    assert {name: r.status_code for name, r in answers.items()} == {
        "admin product add": 302, "api product create": 201, "api product update": 200,
        "csv import": 302, "buy now": 201, "review": 303, "sync now": 302,
    }  # fmt: skip
    assert elapsed < 30  # (a publish to a stopped broker gives up in milliseconds)
    with django_db_blocker.unblock(), tenant_context(shop):
        assert Product.objects.filter(slug__in=["canvas-tote", "linen-shirt"]).count() == 2
        assert Product.objects.get(pk=tee.pk).title == "Linen Tee II"
        assert ImportJob.objects.get().status == "queued"
        assert Order.objects.count() == 1
        assert Variant.objects.get(pk=small.pk).stock == 2
        assert Review.objects.count() == 1
    assert len(fake_meta.batches) == batches_before  # nothing reached the platform

    # when: the broker and a worker come back, and the beat's sweeps run
    with stopped_broker.running():
        worker = worker_start(queue=celery_app.conf.task_default_queue, media_root=tmp_path)
        try:
            with django_db_blocker.unblock(), tenant_context(shop):
                assert syncs_pending_queue() == 1
                assert import_jobs_queued_queue() == 1
            assert wait_until(
                lambda: (
                    fake_meta.items.get(retailer, {}).get("inventory") == 2 and _import_done(shop)
                ),
                django_db_blocker,
            )
            # then: the change reached Meta once, the import ran once
            with django_db_blocker.unblock(), tenant_context(shop):
                assert wait_until(lambda: _synced(shop, connection.pk), django_db_blocker)
                job = ImportJob.objects.get()
                assert (job.status, job.created_products) == ("succeeded", 1)
                assert syncs_pending_queue() == 0
                assert import_jobs_queued_queue() == 0
        finally:
            worker.terminate()
            worker.wait(20)
    sent = collections.Counter(
        entry["data"]["id"] for batch in fake_meta.batches[batches_before:] for entry in batch
    )
    assert sent[retailer] == 1
    assert fake_meta.items[retailer]["title"] == "Linen Tee II"


def _import_done(shop) -> bool:
    with tenant_context(shop):
        return ImportJob.objects.filter(status="succeeded").exists()


def _synced(shop, connection_id: int) -> bool:
    with tenant_context(shop):
        last = CatalogChange.objects.order_by("-id").values_list("id", flat=True).first()
        return Connection.objects.get(pk=connection_id).outbox_last_id == last


def test_with_the_mail_server_down_a_paid_order_answers_and_its_email_goes_out_once_later(
    stripe_settings,  # noqa: F811
    committed_shop,
    unblocked,
    django_db_blocker,
    settings,
    mailoutbox,
):
    # given: the SMTP backend, its server on a closed port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", embedded_redis.free_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 2
    settings.QUEUE_SWEEP_AFTER_SECONDS = 0
    slug = "outage-smtp"
    shop = committed_shop(slug).shop
    with django_db_blocker.unblock(), tenant_context(shop):
        shop_sells(slug)
        variant = complete_product(sku="SMTP").variants.get(sku="SMTP-S")
    shopper = Client(HTTP_HOST=f"{slug}.localhost", enforce_csrf_checks=True)
    answer = buy(
        shopper, {"items": [{"variant_id": variant.pk, "quantity": 1}], "email": "s@example.test"}
    ).json()
    pay(shopper, answer, card_token(stripe_settings.STRIPE_API_BASE, key=f"pk_test_{slug}"))
    with django_db_blocker.unblock(), tenant_context(shop):
        order = Order.objects.get(public_id=answer["order"]["id"])

    # when: Stripe says it is paid (the confirmation email is sent, eagerly, and fails)
    event = intent_event(event_id=f"evt_{slug}", type="payment_intent.succeeded",
                         intent_id=order.payment_intent_id, shop=shop.schema_name,
                         order=str(order.public_id), amount=order.amount_minor)  # fmt: skip
    response = shopper.post("/webhooks/stripe/", **signed(event, f"whsec_{slug}"))

    # then: the order is paid, the email waits, counted as tried
    assert response.status_code == 200
    with django_db_blocker.unblock(), tenant_context(shop):
        assert Order.objects.get(pk=order.pk).status == "paid"
        email = OrderEmail.objects.get(order=order)
        assert (email.kind, email.sent_at) == ("confirmation", None)
        assert email.attempt_count >= 1
        assert "Connection" in email.last_error or "refused" in email.last_error

    # when: the mail server is back (the test's in-memory one) and the sweep runs twice
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_db_blocker.unblock(), tenant_context(shop):
        assert order_emails_sweep() == 1
        assert order_emails_sweep() == 0

    # then: the email went out once
    assert [m.subject for m in mailoutbox] == [f"Your order {order.number} is confirmed"]
    with django_db_blocker.unblock(), tenant_context(shop):
        assert OrderEmail.objects.get(pk=email.pk).sent_at is not None
