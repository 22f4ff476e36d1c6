"""The sync through a real Celery worker: a change reaches the fake Meta server after
429s and a 5xx, and a worker that dies between sending and acknowledging loses
nothing (the batch is sent again; the platform's upsert makes the repeat harmless).
The same for TikTok, whose create is not an upsert: the product TikTok created before
the crash is found by seller SKU and edited, not created twice."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys

import pytest
from django_tenants.utils import tenant_context

from catalog.models import Variant
from catalog.services import stock_adjust
from config.celery import app as celery_app
from config.database_url import database_url_of
from shops.channels.models import ChannelItem, Connection
from shops.channels.services import connection_create, sync_queue
from tests.channels.conftest import complete_product
from tests.conftest import PROJECT_ROOT, wait_until

pytestmark = pytest.mark.worker


@pytest.fixture
def meta_env(fake_meta, monkeypatch):
    """The worker (started after this fixture) talks to the fake server too."""
    monkeypatch.setenv("CHANNELS_META_API_BASE", fake_meta.url)
    monkeypatch.setenv("CHANNELS_BATCH_POLL_SECONDS", "0.05")
    monkeypatch.setenv("CHANNELS_TIMEOUT_SECONDS", "2")
    return fake_meta


def live_count(shop) -> int:
    with tenant_context(shop):
        return ChannelItem.objects.filter(state="live").count()


def test_a_stock_change_reaches_meta_through_the_worker_after_429s_and_a_5xx(
    meta_env, worker, committed_shop, django_db_blocker, tmp_path
):
    fake = meta_env
    shop = committed_shop("sync-worker").shop
    fake.script = [("429", 1), ("500",)]
    with django_db_blocker.unblock(), tenant_context(shop):
        connection_create(channel="meta", access_token=fake.token, external_id=fake.catalog_id)
        product = complete_product()  # committed: the outbox listener queues the sync
        small = product.variants.get(sku="TEE-S")
        retailer = f"{product.pk}-{small.pk}"

    assert wait_until(lambda: live_count(shop) == 2, django_db_blocker)
    assert fake.script == []
    with django_db_blocker.unblock(), tenant_context(shop):
        stock_adjust(variant=Variant.objects.get(pk=small.pk), delta=5)

    assert wait_until(lambda: fake.items[retailer]["inventory"] == 8, django_db_blocker)
    assert fake.batches[-1][0] == {
        "method": "UPDATE",
        "data": {"id": retailer, "availability": "in stock", "inventory": 8},
    }


def worker_start() -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of(),
        "CELERY_TASK_DEFAULT_QUEUE": celery_app.conf.task_default_queue,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--queues",
            celery_app.conf.task_default_queue,
            "--loglevel",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )


def test_a_worker_dying_between_send_and_acknowledge_loses_nothing(
    meta_env, worker, committed_shop, django_db_blocker
):
    fake = meta_env
    shop = committed_shop("sync-crash").shop
    fake.script = [("hang_status",)]  # the batch is applied, its status never finishes
    with django_db_blocker.unblock(), tenant_context(shop):
        connection = connection_create(
            channel="meta", access_token=fake.token, external_id=fake.catalog_id
        )
        complete_product()
    assert fake.batch_received.wait(60)

    worker.send_signal(signal.SIGKILL)  # between the send and the acknowledgement
    worker.wait(10)
    with django_db_blocker.unblock(), tenant_context(shop):
        position_after_crash = Connection.objects.get(pk=connection.pk).outbox_last_id
        items_after_crash = ChannelItem.objects.count()
    second = worker_start()
    try:
        with django_db_blocker.unblock(), tenant_context(shop):
            sync_queue(connection_id=connection.pk)  # the next change or the reconcile
        assert wait_until(lambda: live_count(shop) == 2, django_db_blocker)
    finally:
        second.terminate()
        second.wait(20)

    assert position_after_crash == connection.outbox_last_id
    assert items_after_crash == 0
    assert len(fake.batches) == 2
    assert fake.batches[0] == fake.batches[1]  # the same change, sent again
    assert len(fake.items) == 2  # and held once on the platform
    with django_db_blocker.unblock(), tenant_context(shop):
        assert Connection.objects.get(pk=connection.pk).outbox_last_id > position_after_crash


@pytest.fixture
def tiktok_env(fake_tiktok, monkeypatch, tmp_path):
    """The workers talk to the fake TikTok and read the images from the test's media."""
    monkeypatch.setenv("CHANNELS_TIKTOK_API_BASE", fake_tiktok.url)
    monkeypatch.setenv("CHANNELS_TIMEOUT_SECONDS", "30")
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))
    return fake_tiktok


def tiktok_connect(fake) -> Connection:
    """A TikTok connection made after the product (so only the queued sync sends it)."""
    return connection_create(
        channel="tiktok",
        access_token=fake.token,
        tiktok={
            "app_key": fake.app_key,
            "app_secret": fake.app_secret,
            "shop_cipher": fake.shop_cipher,
            "warehouse_id": fake.warehouse_id,
            "category_id": fake.category_id,
        },
    )


def test_a_product_reaches_tiktok_through_the_worker_after_a_storm_of_429s(
    tiktok_env, worker, committed_shop, django_db_blocker
):
    fake = tiktok_env
    shop = committed_shop("tiktok-worker").shop
    fake.script = [("429", 1), ("429", 2), ("500",)]
    with django_db_blocker.unblock(), tenant_context(shop):
        complete_product()
        tiktok_connect(fake)  # queues its first (full) sync

    assert wait_until(lambda: live_count(shop) == 2, django_db_blocker, timeout=90)
    assert fake.script == []
    gaps = [later - earlier for earlier, later in itertools.pairwise(fake.call_times)]
    assert gaps[0] >= 0.9  # Retry-After: 1
    assert gaps[1] >= 1.9  # Retry-After: 2
    assert len(fake.products) == 1


def test_a_worker_dying_after_tiktok_created_the_product_does_not_create_it_twice(
    tiktok_env, worker, committed_shop, django_db_blocker
):
    fake = tiktok_env
    shop = committed_shop("tiktok-crash").shop
    fake.script = [("ok",), ("ok",), ("hang", 60)]  # upload, search, then the create hangs
    with django_db_blocker.unblock(), tenant_context(shop):
        complete_product()
        connection = tiktok_connect(fake)  # queues its first (full) sync

    def created() -> list:
        return [call for call in fake.calls if call[:2] == ("POST", "/product/202309/products")]

    assert wait_until(lambda: bool(created()), django_db_blocker)

    worker.send_signal(signal.SIGKILL)  # TikTok created it; we never stored its answer
    worker.wait(10)
    with django_db_blocker.unblock(), tenant_context(shop):
        items_after_crash = ChannelItem.objects.count()
    second = worker_start()
    try:
        with django_db_blocker.unblock(), tenant_context(shop):
            sync_queue(connection_id=connection.pk, full=True)  # the next reconcile
        assert wait_until(lambda: live_count(shop) == 2, django_db_blocker)
    finally:
        second.terminate()
        second.wait(20)

    assert items_after_crash == 0
    assert len(created()) == 1
    (product_id,) = fake.products
    assert fake.calls[-1][:2] == ("PUT", f"/product/202309/products/{product_id}")
    assert len(fake.products[product_id]["skus"]) == 2
    with django_db_blocker.unblock(), tenant_context(shop):
        assert {i.external["product_id"] for i in ChannelItem.objects.all()} == {product_id}
