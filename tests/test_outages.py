"""No request waits on, or fails because of, another system (issue 14).

With the broker stopped (a Redis server of the test's own, so no other test loses its
broker), a platform on a closed port, or the mail server on a closed port, every write a
merchant, a partner or a shopper makes answers its committed result; when the system
comes back, the sweeps and retries deliver the work exactly once.
"""

from __future__ import annotations

import collections
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from catalog.import_jobs import import_jobs_queued_queue
from catalog.models import ImportJob
from config import embedded_redis
from config.celery import app as celery_app
from config.child_processes import free_port
from orders.models import Order, OrderEmail
from orders.services import order_emails_sweep
from shops.api.services import api_key_create
from shops.channels.models import Connection
from shops.channels.services import syncs_pending_queue
from shops.channels.sync import connection_sync
from tests.channels.conftest import complete_product, fake_meta, meta_connection  # noqa: F401
from tests.conftest import wait_until, worker_start, worker_stop
from tests.orders.conftest import (
    buy,
    card_token,
    intent_event,
    pay,
    shop_sells,
    signed,
)
from tests.outages import (
    ANSWERS,
    assert_every_write_committed,
    every_write,
    import_done,
    outbox_sent,
)

pytestmark = pytest.mark.worker


def _pools_reset() -> None:
    """Make the test process's producers connect to ``broker_url`` anew."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


class Broker:
    """A Redis broker of the test's own on a fixed loopback port, stopped until started."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def running(self):
        return embedded_redis.redis_server(port=self.port, workdir=self.workdir)


@pytest.fixture
def stopped_broker(tmp_path, monkeypatch) -> Iterator[Broker]:
    """The test process sends its tasks (not eagerly) to a broker that is not running."""
    broker = Broker(tmp_path / "redis")
    conf = celery_app.conf
    # read before the variable is set: Celery's broker_url prefers the environment, so
    # reading it after would "restore" the test's broker for the rest of the session
    previous = (conf.broker_url, conf.task_always_eager, conf.task_default_queue)
    monkeypatch.setenv("CELERY_BROKER_URL", broker.url)  # Celery reads it before its conf
    conf.broker_url, conf.task_always_eager = broker.url, False
    conf.task_default_queue = f"test-{uuid.uuid4().hex[:8]}"
    _pools_reset()
    try:
        yield broker
    finally:
        conf.broker_url, conf.task_always_eager, conf.task_default_queue = previous
        _pools_reset()


def test_with_the_broker_stopped_every_write_answers_and_the_platform_gets_it_once_later(
    stopped_broker,
    fake_meta,  # noqa: F811 (a fixture)
    stripe_settings,
    committed_shop,
    django_db_blocker,
    unblocked,
    settings,
    tmp_path,
    monkeypatch,
):
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
        connection = meta_connection(fake_meta)
        Connection.objects.filter(pk=connection.pk).update(outbox_last_id=0)
        connection_sync(connection_id=connection.pk)
    retailer = f"{tee.pk}-{small.pk}"
    assert fake_meta.items[retailer]["inventory"] == 3
    batches_before = len(fake_meta.batches)

    # when: the broker is stopped, the merchant, a partner and shoppers write
    started = time.monotonic()
    answers = every_write(
        slug=slug, product=tee, variant=small, api_secret=secret, connection_id=connection.pk
    )
    elapsed = time.monotonic() - started

    # then: every answer is the committed result, none waited on the broker
    assert answers == ANSWERS
    assert elapsed < 30  # (a publish to a stopped broker gives up in milliseconds)
    with django_db_blocker.unblock(), tenant_context(shop):
        assert_every_write_committed(product=tee, variant=small, stock=2)
        assert ImportJob.objects.get().status == "queued"
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
                    fake_meta.items.get(retailer, {}).get("inventory") == 2 and import_done(shop)
                ),
                django_db_blocker,
            )
            # then: the change reached Meta once, the import ran once
            with django_db_blocker.unblock(), tenant_context(shop):
                assert wait_until(lambda: outbox_sent(shop, connection.pk), django_db_blocker)
                job = ImportJob.objects.get()
                assert (job.status, job.created_products) == ("succeeded", 1)
                assert syncs_pending_queue() == 0
                assert import_jobs_queued_queue() == 0
        finally:
            worker_stop(worker)
    sent = collections.Counter(
        entry["data"]["id"] for batch in fake_meta.batches[batches_before:] for entry in batch
    )
    assert sent[retailer] == 1
    assert fake_meta.items[retailer]["title"] == "Linen Tee II"


def test_with_the_mail_server_down_a_paid_order_answers_and_its_email_goes_out_once_later(
    stripe_settings,
    committed_shop,
    unblocked,
    django_db_blocker,
    settings,
    mailoutbox,
):
    # given: the SMTP backend, its server on a closed port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
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
    event = intent_event(
        event_id=f"evt_{slug}",
        type="payment_intent.succeeded",
        intent_id=order.payment_intent_id,
        shop=shop.schema_name,
        order=str(order.public_id),
        amount=order.amount_minor,
    )
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
