"""The reconcile's progress ("sync now"): the walk through the catalog advances it even
where nothing drifted (so a long walk never looks stalled), at one UPDATE per chunk of
products read; and a "sync now" started while an older reconcile still runs makes the
older one stop instead of sending and counting beside the new one."""

from __future__ import annotations

import re
import threading

from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from catalog.models import Product
from shops.channels.models import Connection
from shops.channels.selectors import sync_state
from shops.channels.services import connection_sync_now
from shops.channels.sync import SyncResult, connection_reconcile, connection_sync
from tests.channels.conftest import complete_product
from tests.channels.test_meta_sync import meta_connection

PROGRESS_WRITE = re.compile(r'^UPDATE "channels_connection" SET .*"sync_progress_at" =')


def progress_writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"] for query in queries.captured_queries if PROGRESS_WRITE.match(query["sql"])
    ]


def done_written(writes: list[str]) -> list[int]:
    """The ``sync_done`` figures the writes set (the last one sets it to the total)."""
    return [int(found[1]) for sql in writes if (found := re.search(r'"sync_done" = (\d+)', sql))]


def test_a_walk_where_nothing_drifted_advances_the_progress_chunk_by_chunk(in_shop_a, fake_meta):
    # given: 3 products (6 variants) the platform already holds as they are
    connection = meta_connection(fake_meta)
    for number in range(3):
        complete_product(f"Tee {number}", sku=f"TEE{number}")
    connection_sync(connection_id=connection.pk)
    batches = len(fake_meta.batches)

    # when: a reconcile reads them one product per chunk
    with CaptureQueriesContext(db_connection) as queries:
        result = connection_reconcile(connection_id=connection.pk, chunk=1)

    # then: nothing is sent, and every chunk read moved the progress and its time
    writes = progress_writes(queries)
    assert result.items == 0 and len(fake_meta.batches) == batches
    assert done_written(writes) == [0, 2, 4, 5]  # the start, 3 chunks ("done" only at the end)
    assert len(writes) == 5 and '"sync_done" = "channels_connection"."sync_total"' in writes[-1]
    connection.refresh_from_db()
    assert (connection.sync_done, connection.sync_total, sync_state(connection)) == (6, 6, "done")


def test_the_walk_never_counts_as_checked_an_item_still_waiting_to_be_sent(
    in_shop_a, fake_meta, settings
):
    settings.CHANNELS_BATCH_ITEMS_MAX = 4
    connection = meta_connection(fake_meta)
    products = [complete_product(f"Tee {number}", sku=f"TEE{number}") for number in range(3)]
    connection_sync(connection_id=connection.pk)
    # the second product drifted (renamed without an outbox row)
    Product.objects.filter(pk=products[1].pk).update(title="Tee One, renamed")

    with CaptureQueriesContext(db_connection) as queries:
        result = connection_reconcile(connection_id=connection.pk, chunk=1)

    # after chunk 2 and 3 the renamed product waits in the batch: 2 checked, not 4 or 6;
    # its batch, sent at the end, checks up to it (never backwards from the walk's 2)
    assert result.items == 2
    assert done_written(progress_writes(queries)) == [0, 2, 2, 2, 4]
    assert fake_meta.items[f"{products[1].pk}-{products[1].variants.first().pk}"]["title"] == (
        "Tee One, renamed"
    )


def test_the_walks_progress_costs_one_update_per_chunk_whatever_the_catalog(in_shop_a, fake_meta):
    connection = meta_connection(fake_meta)
    counts, writes = {}, {}
    made = 0
    for products in (2, 4, 8):  # 1, 2 and 4 chunks of 2 products, nothing drifted
        for number in range(made, products):
            complete_product(f"Tee {number}", sku=f"TEE{number}")
        made = products
        connection_sync(connection_id=connection.pk)
        with CaptureQueriesContext(db_connection) as queries:
            assert connection_reconcile(connection_id=connection.pk, chunk=2).items == 0
        counts[products] = len(queries.captured_queries)
        writes[products] = len(progress_writes(queries))

    assert writes == {2: 1 + 1 + 1, 4: 1 + 2 + 1, 8: 1 + 4 + 1}  # start, chunks, end
    per_chunk = counts[4] - counts[2]
    assert counts[8] - counts[4] == 2 * per_chunk  # each chunk costs as many queries
    # products, variants, images, collections, ratings, items held, one progress UPDATE
    assert per_chunk <= 7


def test_sync_now_after_a_stall_makes_a_reconcile_still_alive_stop(
    committed_shop, django_db_blocker, fake_meta, settings, tmp_path
):
    # given: 6 drifted items, sent 2 per batch, each batch answered after a few polls
    settings.MEDIA_ROOT = tmp_path
    settings.CHANNELS_BATCH_ITEMS_MAX = 2
    settings.CHANNELS_BATCH_POLL_SECONDS = 0.1
    settings.CHANNELS_SYNC_STALL_MINUTES = 0  # it looks stalled at once
    shop = committed_shop("stale-reconcile").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        connection = meta_connection(fake_meta)
        for number in range(3):
            complete_product(f"Tee {number}", sku=f"TEE{number}")  # committed: sent at once
        Product.objects.update(title="Renamed")  # no outbox row: only a reconcile sees it
    fake_meta.polls_before_finished = 5
    fake_meta.batch_received.clear()
    sent_before = len(fake_meta.batches)
    first: list[SyncResult] = []

    def first_reconcile() -> None:
        try:
            with django_db_blocker.unblock(), tenant_context(shop):
                first.append(connection_reconcile(connection_id=connection.pk, chunk=1))
        finally:
            db_connection.close()

    alive = threading.Thread(target=first_reconcile)
    alive.start()
    try:
        # when: while its first batch waits for Meta, the merchant starts "sync now" (the
        # queued reconcile runs here, eagerly, once that batch is stored)
        assert fake_meta.batch_received.wait(10)
        with django_db_blocker.unblock(), tenant_context(shop):
            assert connection_sync_now(connection=connection) == 6
    finally:
        alive.join(30)

    # then: the first one stopped after its batch; the new one sent the rest, once each
    sent = [request["data"]["id"] for batch in fake_meta.batches[sent_before:] for request in batch]
    assert first[0].items == 2
    assert len(sent) == len(set(sent)) == 6
    assert {item["title"] for item in fake_meta.items.values()} == {"Renamed"}
    with django_db_blocker.unblock(), tenant_context(shop):
        connection.refresh_from_db()
        assert (connection.sync_done, connection.sync_total) == (6, 6)
        assert sync_state(connection) == "done"


def test_a_reconcile_in_shop_b_never_takes_over_shop_as(shop_a, shop_b, fake_meta, settings):
    settings.CHANNELS_BATCH_ITEMS_MAX = 2
    with tenant_context(shop_a):
        alpha = meta_connection(fake_meta)
        Connection.objects.filter(pk=alpha.pk).update(sync_run=1, sync_total=6, sync_done=2)
    with tenant_context(shop_b):
        beta = meta_connection(fake_meta)
        beta_result = connection_reconcile(connection_id=beta.pk)
        beta.refresh_from_db()

    with tenant_context(shop_a):
        alpha.refresh_from_db()
    assert beta_result.items == 0 and beta.sync_run == 1  # its own first run
    assert (alpha.sync_run, alpha.sync_done, alpha.sync_total) == (1, 2, 6)  # untouched
