"""Channel sync and feeds at scale, against PostgreSQL, a fake Meta Graph API on
loopback and (with CELERY_BROKER_URL) a real Celery worker.

1. The full Meta CSV feed of 100,000 generated variants (25,000 products of 4 variants), through
   the feed view, in a child process: time (target < 5 s) and peak RSS (< 150 MB).
2. One stock change (``stock_adjust``, as an order makes it) reaching the fake Meta
   server through the worker (target < 5 s).
3. Sync of 100,000 changed items to Meta (batches of 5,000) and to Pinterest (batches of
   1,000), throughput. The fake servers run in this process (they share its CPU).

    .venv/bin/python bench/channels.py [--products 25000] [--variants 4]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch import scratch_database

ROOT = Path(__file__).resolve().parent.parent


def feed_child(database_url: str, slug: str, token: str) -> None:
    """Child process: fetch the feed through the view, report time, bytes and peak RSS."""
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST=f"{slug}.localhost")
    started = time.perf_counter()
    response = client.get("/feeds/meta.csv", {"token": token})
    size = rows = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "bytes": size, "rows": rows - 1, "peak_mb": peak}))


def generate(products: int, variants: int) -> None:
    from catalog.models import Product, ProductImage, Variant

    batch = 2000
    for start in range(0, products, batch):
        created = Product.objects.bulk_create(
            Product(title=f"Product {n}", slug=f"product-{n}", status="active",
                    description=f"<p>Description of product {n}, <b>soft</b> cotton.</p>",
                    brand="Bench", gtin="", mpn=f"MPN-{n}", option1_name="Size")
            for n in range(start, min(products, start + batch))
        )  # fmt: skip
        Variant.objects.bulk_create(
            Variant(product=p, sku=f"{p.slug}-{v}", option1=f"S{v}", price="19.90",
                    stock=v * 3, position=v)
            for p in created for v in range(variants)
        )  # fmt: skip
        ProductImage.objects.bulk_create(
            ProductImage(product=p, image=f"products/{p.slug}.jpg", width=800, height=800,
                         status="ready")
            for p in created
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=25_000)
    parser.add_argument("--variants", type=int, default=4)
    parser.add_argument("--feed-child", nargs=3, metavar=("DATABASE_URL", "SLUG", "TOKEN"))
    args = parser.parse_args()
    if args.feed_child:
        feed_child(*args.feed_child)
        return
    with scratch_database("etalage_bench_channels"):
        from django.conf import settings
        from django_tenants.utils import tenant_context

        from catalog.models import CatalogChange, Product, Variant
        from catalog.services import stock_adjust
        from shops.channels.models import ChannelItem, Connection
        from shops.channels.services import connection_create
        from shops.channels.sync import connection_sync
        from shops.services import shop_create
        from tests.channels.fake_meta import FakeMeta
        from tests.channels.fake_pinterest import FakePinterest
        from tests.conftest import database_url_for_tests

        total = args.products * args.variants
        shop = shop_create(slug="bench", name="Bench", owner_email="o@example.com",
                           owner_password="plum-orchard-lantern-42").shop  # fmt: skip
        fake = FakeMeta().start()
        fake_pinterest = FakePinterest()
        settings.CHANNELS_META_API_BASE = fake.url
        settings.CHANNELS_PINTEREST_API_BASE = fake_pinterest.url
        settings.CHANNELS_BATCH_POLL_SECONDS = 0.01
        with tenant_context(shop):
            started = time.perf_counter()
            generate(args.products, args.variants)
            print(f"generated {total:,} variants in {time.perf_counter() - started:.1f} s")
            connection = connection_create(
                channel="meta", access_token=fake.token, external_id=fake.catalog_id
            )
            pinterest = connection_create(channel="pinterest", access_token=fake_pinterest.token)

        # 1. the full feed, in a child process (its peak RSS is the feed's)
        database_url = database_url_for_tests()
        out = subprocess.run(
            [sys.executable, __file__, "--feed-child", database_url, "bench",
             connection.feed_token],
            capture_output=True, text=True, check=True, cwd=ROOT,
        ).stdout  # fmt: skip
        feed = json.loads(out.strip().splitlines()[-1])
        print(f"1. Meta CSV feed: {feed['rows']:,} rows, {feed['bytes'] / 1e6:.1f} MB in "
              f"{feed['seconds']:.2f} s (target < 5 s), peak RSS {feed['peak_mb']:.0f} MB "
              "(target < 150 MB)")  # fmt: skip

        # 3. sync of every item, all changed (one outbox row per product)
        with tenant_context(shop):
            CatalogChange.objects.bulk_create(
                CatalogChange(product_id=pk, kind="upsert", aspects=["title"])
                for pk in Product.objects.values_list("pk", flat=True)
            )
            started = time.perf_counter()
            result = connection_sync(connection_id=connection.pk)
            elapsed = time.perf_counter() - started
            live = ChannelItem.objects.filter(state="live", connection=connection).count()
            print(f"3. Meta: {result.items:,} changed items in {len(fake.batches)} batches of "
                  f"≤ 5,000: {elapsed:.1f} s, {result.items / elapsed:,.0f} items/s "
                  f"({live:,} live)")  # fmt: skip
            started = time.perf_counter()
            result = connection_sync(connection_id=pinterest.pk)
            elapsed = time.perf_counter() - started
            live = ChannelItem.objects.filter(state="live", connection=pinterest).count()
            print(f"   Pinterest: {result.items:,} changed items in "
                  f"{len(fake_pinterest.batches)} batches of ≤ 1,000: {elapsed:.1f} s, "
                  f"{result.items / elapsed:,.0f} items/s ({live:,} live)")  # fmt: skip
            Connection.objects.filter(pk=pinterest.pk).delete()
        fake_pinterest.stop()

        # 2. one stock change through a real worker
        if not settings.CELERY_BROKER_URL:
            print("2. skipped: set CELERY_BROKER_URL to run the stock change through a worker")
            fake.stop()
            return
        queue = "bench-channels"
        env = {**os.environ, "DATABASE_URL": database_url, "CELERY_TASK_DEFAULT_QUEUE": queue,
               "CHANNELS_META_API_BASE": fake.url,
               "CHANNELS_BATCH_POLL_SECONDS": "0.05"}  # fmt: skip
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
             "--queues", queue, "--loglevel", "warning", "--without-gossip",
             "--without-mingle", "--without-heartbeat"], cwd=ROOT, env=env,
        )  # fmt: skip
        from config.celery import app as celery_app

        celery_app.conf.task_always_eager = False
        celery_app.conf.task_default_queue = queue
        try:
            time.sleep(4)  # the worker starts
            with tenant_context(shop):
                variant = Variant.objects.order_by("id").first()
                retailer = f"{variant.product_id}-{variant.pk}"
                before = len(fake.batches)
                started = time.perf_counter()
                stock_adjust(variant=variant, delta=7)  # commits: the listener queues the sync
            while time.perf_counter() - started < 30:
                if len(fake.batches) > before and fake.items[retailer]["inventory"] == 7:
                    break
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
            print(f"2. stock change → fake Meta through the worker: {elapsed:.2f} s "
                  "(target < 5 s)")  # fmt: skip
        finally:
            worker.terminate()
            worker.wait(20)
            fake.stop()
            with tenant_context(shop):
                Connection.objects.all().delete()


if __name__ == "__main__":
    main()
