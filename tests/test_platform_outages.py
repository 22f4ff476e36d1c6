"""A push channel's platform down never fails a write, and gets each change once (issue 14).

For Meta, Pinterest, Google and TikTok (the fakes of tests/channels): a shop's product is
live on the platform, then the platform goes down (its port closed; or it answers 429 and
5xx; or its name does not resolve). The merchant saves products in the admin and syncs
now, a partner writes through the API, a CSV import runs, a shopper buys and reviews:
every request answers its committed result. A real worker tries the syncs, fails and
retries (within a second: CHANNELS_RETRY_MAX_SECONDS); once the platform is back on the
same port, it receives the changed items once each.

One worker and one fake per platform serve every test of the module (its settings are
environment variables, read when it starts).
"""

from __future__ import annotations

import collections
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from catalog.models import Product, Variant
from shops.api.services import api_key_create
from shops.channels.models import Connection
from shops.channels.sync import connection_sync
from shops.channels.tasks import connection_sync as connection_sync_task
from tests.channels.conftest import (
    complete_product,
    google_connection,
    meta_connection,
    pinterest_connection,
    tiktok_connection,
)
from tests.channels.fake_google import FakeGoogle
from tests.channels.fake_http import FakeServer
from tests.channels.fake_meta import FakeMeta
from tests.channels.fake_pinterest import FakePinterest
from tests.channels.fake_tiktok import FakeTikTok
from tests.conftest import tasks_sent_to, wait_until, worker_start, worker_stop
from tests.orders.conftest import shop_sells
from tests.outages import (
    ANSWERS,
    assert_every_write_committed,
    every_write,
    import_done,
    outbox_sent,
)

pytestmark = pytest.mark.worker
Received = collections.Counter  # item requests a platform received, per retailer id
QUICK_RETRIES = {
    "CHANNELS_RETRY_MAX_SECONDS": "1",
    "CHANNELS_MAX_RETRIES": "120",
    "CHANNELS_TIMEOUT_SECONDS": "2",
    "CHANNELS_BATCH_POLL_SECONDS": "0.05",
}


def _meta_received(fake: FakeMeta) -> Received:
    return Received(entry["data"]["id"] for batch in fake.batches for entry in batch)


def _meta_title(fake: FakeMeta, retailer: str) -> str:
    return fake.items.get(retailer, {}).get("title", "")


def _pinterest_received(fake: FakePinterest) -> Received:
    return Received(item["item_id"] for batch in fake.batches for item in batch["items"])


def _google_received(fake: FakeGoogle) -> Received:
    return Received(
        body["offerId"] if method == "POST" else path.rpartition("~")[2]
        for method, path, body in fake.calls
        if method != "GET"
    )


def _google_title(fake: FakeGoogle, retailer: str) -> str:
    for name, attributes in fake.products.items():
        if name.endswith(f"~{retailer}"):
            return attributes.get("title", "")
    return ""


def _tiktok_received(fake: FakeTikTok) -> Received:
    """SKUs sent (a whole product's, or stock and price updates by SKU id)."""
    seller_sku = {
        sku_id: sku.get("seller_sku")
        for product in fake.products.values()
        for sku_id, sku in product["skus"].items()
    }
    return Received(
        sku.get("seller_sku") or seller_sku.get(sku.get("id"))
        for method, path, body in fake.calls
        if method in ("POST", "PUT") and not path.endswith("/search")
        for sku in body.get("skus") or []
    )


def _tiktok_title(fake: FakeTikTok, retailer: str) -> str:
    for product in fake.products.values():
        if any(sku.get("seller_sku") == retailer for sku in product["skus"].values()):
            return product["title"]
    return ""


@dataclass(frozen=True)
class Platform:
    channel: str
    fake: Callable[[], FakeServer]
    connect: Callable[[FakeServer], Connection]
    received: Callable[[FakeServer], Received]
    title: Callable[[FakeServer, str], str]  # the title the platform holds for an item

    @property
    def setting(self) -> str:
        return f"CHANNELS_{self.channel.upper()}_API_BASE"


PLATFORMS = [
    Platform("meta", FakeMeta, meta_connection, _meta_received, _meta_title),
    Platform("pinterest", FakePinterest, pinterest_connection, _pinterest_received, _meta_title),
    Platform("google", FakeGoogle, google_connection, _google_received, _google_title),
    Platform("tiktok", FakeTikTok, tiktok_connection, _tiktok_received, _tiktok_title),
]


@dataclass(frozen=True)
class Worker:
    queue: str
    media_root: Path
    fakes: dict[str, FakeServer]


def _worker(api_bases: dict[str, str], media_root: Path) -> tuple[str, object]:
    queue = f"test-{uuid.uuid4().hex[:8]}"
    return queue, worker_start(
        queue=queue, media_root=media_root, env={**QUICK_RETRIES, **api_bases}
    )


@pytest.fixture(scope="module")
def platforms_worker(django_db_setup, tmp_path_factory) -> Iterator[Worker]:
    """A real worker whose four platforms are the fakes (running; tests stop them)."""
    fakes = {platform.channel: platform.fake() for platform in PLATFORMS}
    media_root = tmp_path_factory.mktemp("media")
    bases = {platform.setting: fakes[platform.channel].url for platform in PLATFORMS}
    queue, process = _worker(bases, media_root)
    try:
        yield Worker(queue, media_root, fakes)
    finally:
        worker_stop(process)
        for fake in fakes.values():
            fake.stop()


@dataclass
class LiveShop:
    """A shop that sells, its Linen Tee live on one platform (synced while all was well)."""

    shop: object
    slug: str
    connection: Connection
    product: Product
    small: Variant
    api_secret: str
    received_before: Received

    @property
    def retailer_ids(self) -> list[str]:
        return [f"{self.product.pk}-{variant.pk}" for variant in self.product.variants.all()]


def live_shop(
    *, platform: Platform, fake: FakeServer, slug: str, committed_shop, django_db_blocker
) -> LiveShop:
    shop = committed_shop(slug).shop
    before = platform.received(fake)  # (the fake serves the module's shops: ids repeat)
    with django_db_blocker.unblock(), tenant_context(shop):
        shop_sells(slug)
        product = complete_product()
        secret = api_key_create(name="Partner", scopes=["catalog:write", "catalog:read"]).secret
        # connecting sends its first full sync (both variants); the outbox's rows of the
        # product then find them there
        connection = platform.connect(fake)
        Connection.objects.filter(pk=connection.pk).update(outbox_last_id=0)
        assert connection_sync(connection_id=connection.pk).items == 0
        small = product.variants.get(sku="TEE-S")
        retailer_ids = [f"{product.pk}-{variant.pk}" for variant in product.variants.all()]
    received = platform.received(fake)
    assert dict(received - before) == dict.fromkeys(retailer_ids, 1)
    return LiveShop(shop, slug, connection, product, small, secret, received)


def writes_answer_and_commit(live: LiveShop, django_db_blocker) -> None:
    answers = every_write(
        slug=live.slug,
        product=live.product,
        variant=live.small,
        api_secret=live.api_secret,
        connection_id=live.connection.pk,
    )
    assert answers == ANSWERS
    with django_db_blocker.unblock(), tenant_context(live.shop):
        assert_every_write_committed(product=live.product, variant=live.small, stock=2)


def connection_failing(live: LiveShop) -> bool:
    with tenant_context(live.shop):
        return Connection.objects.get(pk=live.connection.pk).status == Connection.Status.FAILING


def all_done(live: LiveShop) -> bool:
    """The outbox is sent, the import ran and the "sync now" reconcile finished."""
    with tenant_context(live.shop):
        connection = Connection.objects.get(pk=live.connection.pk)
        reconciled = connection.last_reconcile_at is not None
    return (
        outbox_sent(live.shop, live.connection.pk)
        and import_done(live.shop)
        and reconciled
        and connection.status == Connection.Status.ACTIVE
    )


def assert_received_once(platform: Platform, fake: FakeServer, live: LiveShop) -> None:
    """Each of the product's items reached the platform once since it was live."""
    received = platform.received(fake) - live.received_before
    assert dict(received) == dict.fromkeys(live.retailer_ids, 1)
    assert platform.title(fake, f"{live.product.pk}-{live.small.pk}") == "Linen Tee II"


@pytest.fixture
def outage_settings(platforms_worker, stripe_settings, settings):
    """The test process's settings beside the worker's (it syncs once while all is well)."""
    settings.MEDIA_ROOT = platforms_worker.media_root
    settings.CHANNELS_TIMEOUT_SECONDS, settings.CHANNELS_BATCH_POLL_SECONDS = 2, 0.01
    for platform in PLATFORMS:
        setattr(settings, platform.setting, platforms_worker.fakes[platform.channel].url)
    return settings


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda platform: platform.channel)
def test_with_the_platform_refusing_connections_every_write_answers_and_it_gets_each_change_once(
    platform, platforms_worker, outage_settings, committed_shop, django_db_blocker, unblocked
):
    # given: a product live on the platform
    fake = platforms_worker.fakes[platform.channel]
    live = live_shop(
        platform=platform,
        fake=fake,
        slug=f"down-{platform.channel}",
        committed_shop=committed_shop,
        django_db_blocker=django_db_blocker,
    )

    # when: the platform's port is closed, everyone writes, and the worker tries
    fake.stop()
    try:
        with tasks_sent_to(platforms_worker.queue):
            writes_answer_and_commit(live, django_db_blocker)
            # then: the worker's syncs fail (and retry), nothing is sent
            assert wait_until(lambda: connection_failing(live), django_db_blocker)
            with django_db_blocker.unblock(), tenant_context(live.shop):
                connection = Connection.objects.get(pk=live.connection.pk)
                assert connection.last_error.startswith("Could not reach the platform")
                assert not outbox_sent(live.shop, connection.pk)

            # when: the platform is back on its port
            fake.restart()

            # then: the retries deliver each change once
            assert wait_until(lambda: all_done(live), django_db_blocker)
    finally:
        fake.restart()
    assert_received_once(platform, fake, live)


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda platform: platform.channel)
def test_with_the_platform_answering_429_then_5xx_every_write_answers_and_it_gets_each_change_once(
    platform, platforms_worker, outage_settings, committed_shop, django_db_blocker, unblocked
):
    # given: a product live on the platform, which then answers "too many requests"
    # (retry after 1 s), then errors twice
    fake = platforms_worker.fakes[platform.channel]
    live = live_shop(
        platform=platform,
        fake=fake,
        slug=f"busy-{platform.channel}",
        committed_shop=committed_shop,
        django_db_blocker=django_db_blocker,
    )
    fake.script = [("429", 1), ("500",), ("500",)]

    # when: everyone writes, the worker syncs
    with tasks_sent_to(platforms_worker.queue):
        writes_answer_and_commit(live, django_db_blocker)
        assert wait_until(lambda: all_done(live), django_db_blocker)

    # then: the worker met each failure, retried, and sent each change once
    assert fake.script == []
    assert_received_once(platform, fake, live)


@pytest.fixture
def meta_of_its_own(outage_settings) -> Iterator[FakeMeta]:
    fake = FakeMeta()
    outage_settings.CHANNELS_META_API_BASE = fake.url
    yield fake
    fake.stop()


def test_with_the_platform_name_not_resolving_every_write_answers_and_nothing_is_lost(
    meta_of_its_own, committed_shop, django_db_blocker, unblocked, tmp_path
):
    # given: a product live on Meta; a worker for which Meta's name does not resolve
    platform, fake = PLATFORMS[0], meta_of_its_own
    live = live_shop(
        platform=platform,
        fake=fake,
        slug="dns-meta",
        committed_shop=committed_shop,
        django_db_blocker=django_db_blocker,
    )
    queue, worker = _worker({platform.setting: "http://nonexistent.invalid"}, tmp_path)
    try:
        # when: everyone writes
        with tasks_sent_to(queue):
            writes_answer_and_commit(live, django_db_blocker)

            # then: the worker's syncs fail on the name and retry; nothing is sent
            assert wait_until(lambda: connection_failing(live), django_db_blocker)
    finally:
        worker_stop(worker)
    with django_db_blocker.unblock(), tenant_context(live.shop):
        connection = Connection.objects.get(pk=live.connection.pk)
        assert connection.last_error.startswith("Could not reach the platform")
        assert not outbox_sent(live.shop, connection.pk)

        # when: the name resolves again (the task's next try, here in this process)
        connection_sync_task.apply(args=(connection.pk, True)).get()

        # then: nothing was lost, each change is sent once
        assert outbox_sent(live.shop, connection.pk)
    assert_received_once(platform, fake, live)
