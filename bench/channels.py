"""Channel sync and feeds at scale, against PostgreSQL, a fake Meta Graph API on
loopback and (with CELERY_BROKER_URL) a real Celery worker.

1. Every channel's full feed in every format (Meta CSV and XML, Pinterest CSV, TSV and
   XML, Google XML and CSV, TikTok CSV and XML) of 100,000 generated variants (25,000
   products of 4 variants), through the feed view, each in a child process of its own:
   time (target < 5 s) and peak RSS (< 150 MB).
2. One stock change (``stock_adjust``, as an order makes it) reaching the fake Meta
   server through a real Celery worker (target < 5 s): from the call (its commit queues
   the sync) to the fake server receiving the batch; once with a worker that has just
   started, then warm.
3. Sync of 100,000 changed items to Meta (batches of 5,000) and to Pinterest (batches of
   1,000), and of ``--google-items`` to Google (one API call per item, engine batches of
   1,000), throughput per platform; and of the first ``--tiktok-products`` products
   (their image files written to a temporary media folder) to TikTok: an image upload
   and a create per product, a seller-SKU search per 100 SKUs; products/s and HTTP
   calls. The fake servers run in this process (they share its CPU).

    .venv/bin/python bench/channels.py [--products 25000] [--variants 4]
        [--google-items 10000] [--tiktok-products 2000] [--feeds meta.csv,google.xml]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch import scratch_database

from config.database_url import database_url_of

ROOT = Path(__file__).resolve().parent.parent


FEEDS = (
    "meta.csv",
    "meta.xml",
    "pinterest.csv",
    "pinterest.tsv",
    "pinterest.xml",
    "google.xml",
    "google.csv",
    "tiktok.csv",
    "tiktok.xml",
)


def feed_child(database_url: str, slug: str, feed: str, token: str) -> None:
    """Child process: fetch the feed through the view, report time, bytes and peak RSS."""
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST=f"{slug}.localhost")
    started, cpu_started = time.perf_counter(), time.process_time()
    response = client.get(f"/feeds/{feed}", {"token": token})
    size = rows = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "bytes": size,
                "rows": rows - 1,
                "peak_mb": peak,
            }
        )
    )


def generate(products: int, variants: int) -> None:
    from catalog.models import Product, ProductImage, Variant

    batch = 2000
    for start in range(0, products, batch):
        created = Product.objects.bulk_create(
            Product(
                title=f"Product {n}",
                slug=f"product-{n}",
                status="active",
                description=f"<p>Description of product {n}, <b>soft</b> cotton.</p>",
                brand="Bench",
                gtin="",
                mpn=f"MPN-{n}",
                option1_name="Size",
            )
            for n in range(start, min(products, start + batch))
        )
        Variant.objects.bulk_create(
            Variant(
                product=p,
                sku=f"{p.slug}-{v}",
                option1=f"S{v}",
                price="19.90",
                stock=v * 3,
                position=v,
            )
            for p in created
            for v in range(variants)
        )
        ProductImage.objects.bulk_create(
            ProductImage(
                product=p, image=f"products/{p.slug}.jpg", width=800, height=800, status="ready"
            )
            for p in created
        )


def tiktok_sync(shop, products: int, variants: int) -> None:
    """Section 3 for TikTok: the first ``products`` products, tagged, with real image files."""
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django_tenants.utils import tenant_context

    from catalog.models import CatalogChange, Product, ProductImage
    from shops.channels.models import ChannelItem, Connection
    from shops.channels.services import connection_create
    from shops.channels.sync import connection_sync
    from tests.channels.fake_tiktok import FakeTikTok

    fake = FakeTikTok()
    settings.CHANNELS_TIKTOK_API_BASE = fake.url
    previous_media = settings.MEDIA_ROOT
    with tempfile.TemporaryDirectory() as media, tenant_context(shop):
        settings.MEDIA_ROOT = media
        ids = list(Product.objects.order_by("id").values_list("pk", flat=True)[:products])
        Product.objects.filter(pk__in=ids).update(tags=["tiktok"])
        for name in ProductImage.objects.filter(product_id__in=ids).values_list("image", flat=True):
            default_storage.save(name, ContentFile(b"\x89PNG\r\n\x1a\n" + name.encode()))
        tiktok = connection_create(
            channel="tiktok",
            access_token=fake.token,
            selection="tag",
            tag="tiktok",
            tiktok={
                "app_key": fake.app_key,
                "app_secret": fake.app_secret,
                "shop_cipher": fake.shop_cipher,
                "warehouse_id": fake.warehouse_id,
                "category_id": fake.category_id,
            },
        )
        CatalogChange.objects.bulk_create(
            CatalogChange(product_id=pk, kind="upsert", aspects=["title"]) for pk in ids
        )
        started = time.perf_counter()
        result = connection_sync(connection_id=tiktok.pk)
        elapsed = time.perf_counter() - started
        live = ChannelItem.objects.filter(state="live", connection=tiktok).count()
        calls = len(fake.calls) + len(fake.uploads)
        print(
            f"   TikTok: {len(ids):,} products ({result.items:,} SKUs, {variants} per "
            f"product) in {calls:,} calls (an upload and a create per product, a search per "
            f"100 SKUs): {elapsed:.1f} s, "
            f"{len(ids) / elapsed:,.0f} products/s, {result.items / elapsed:,.0f} items/s "
            f"({live:,} live)"
        )
        Connection.objects.filter(pk=tiktok.pk).delete()
    settings.MEDIA_ROOT = previous_media
    fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=25_000)
    parser.add_argument("--variants", type=int, default=4)
    parser.add_argument("--tiktok-products", type=int, default=2_000)
    parser.add_argument("--google-items", type=int, default=10_000)
    parser.add_argument(
        "--feeds", default=",".join(FEEDS), help="comma-separated, of " + ", ".join(FEEDS)
    )
    parser.add_argument("--feed-child", nargs=4, metavar=("DATABASE_URL", "SLUG", "FEED", "TOKEN"))
    args = parser.parse_args()
    if args.feed_child:
        feed_child(*args.feed_child)
        return
    # another name lets two checkouts bench on one server at once
    with scratch_database(os.environ.get("BENCH_DATABASE", "etalage_bench_channels")):
        from django.conf import settings
        from django_tenants.utils import tenant_context

        from catalog.models import CatalogChange, Product, Variant
        from catalog.services import stock_adjust
        from shops.channels.models import ChannelItem, Connection
        from shops.channels.services import connection_create
        from shops.channels.sync import connection_sync
        from shops.services import shop_create
        from tests.channels.fake_google import FakeGoogle
        from tests.channels.fake_meta import FakeMeta
        from tests.channels.fake_pinterest import FakePinterest

        total = args.products * args.variants
        shop = shop_create(
            slug="bench",
            name="Bench",
            owner_email="o@example.com",
            owner_password="plum-orchard-lantern-42",
        ).shop
        fake = FakeMeta()
        fake_pinterest = FakePinterest()
        fake_google = FakeGoogle()
        settings.CHANNELS_META_API_BASE = fake.url
        settings.CHANNELS_PINTEREST_API_BASE = fake_pinterest.url
        settings.CHANNELS_GOOGLE_API_BASE = fake_google.url
        settings.CHANNELS_BATCH_POLL_SECONDS = 0.01
        with tenant_context(shop):
            started = time.perf_counter()
            generate(args.products, args.variants)
            print(f"generated {total:,} variants in {time.perf_counter() - started:.1f} s")
            connection = connection_create(
                channel="meta", access_token=fake.token, external_id=fake.catalog_id
            )
            pinterest = connection_create(channel="pinterest", access_token=fake_pinterest.token)
            # Google lists the products tagged "google": --google-items variants
            google_ids = Product.objects.order_by("id").values_list("id", flat=True)[
                : max(1, args.google_items // args.variants)
            ]
            Product.objects.filter(pk__in=list(google_ids)).update(tags=["google"])
            google = connection_create(
                channel="google",
                access_token=fake_google.token,
                external_id=f"{fake_google.account}/bench",
                selection="tag",
                tag="google",
            )
            tiktok = connection_create(channel="tiktok")
            tokens = {
                channel: c.feed_token
                for channel, c in (
                    ("meta", connection),
                    ("pinterest", pinterest),
                    ("google", google),
                    ("tiktok", tiktok),
                )
            }

        # 1. every full feed, each in a child process (its peak RSS is the feed's); the
        # Google feed lists every product here (the tag selects only the push's items)
        database_url = database_url_of()
        with tenant_context(shop):
            Connection.objects.filter(pk=google.pk).update(selection="all", tag="")
        print(
            f"1. full feeds of {total:,} variants (targets for 100,000: < 5 s, < 150 MB peak "
            "RSS); the CPU time is the feed process's own, whatever else runs"
        )
        for feed_name in args.feeds.split(","):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--feed-child",
                    database_url,
                    "bench",
                    feed_name,
                    tokens[feed_name.split(".")[0]],
                ],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            ).stdout
            feed = json.loads(out.strip().splitlines()[-1])
            print(
                f"   {feed_name:<14} {feed['rows']:>8,} rows {feed['bytes'] / 1e6:6.1f} MB "
                f"{feed['seconds']:6.2f} s ({feed.get('cpu_seconds', 0):4.2f} s of CPU in "
                f"Python)  peak RSS {feed['peak_mb']:4.0f} MB"
            )
        with tenant_context(shop):
            Connection.objects.filter(pk=google.pk).update(selection="tag", tag="google")

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
            print(
                f"3. Meta: {result.items:,} changed items in {len(fake.batches)} batches of "
                f"≤ 5,000: {elapsed:.1f} s, {result.items / elapsed:,.0f} items/s "
                f"({live:,} live)"
            )
            started = time.perf_counter()
            result = connection_sync(connection_id=pinterest.pk)
            elapsed = time.perf_counter() - started
            live = ChannelItem.objects.filter(state="live", connection=pinterest).count()
            print(
                f"   Pinterest: {result.items:,} changed items in "
                f"{len(fake_pinterest.batches)} batches of ≤ 1,000: {elapsed:.1f} s, "
                f"{result.items / elapsed:,.0f} items/s ({live:,} live)"
            )
            started = time.perf_counter()
            result = connection_sync(connection_id=google.pk)
            elapsed = time.perf_counter() - started
            live = ChannelItem.objects.filter(state="live", connection=google).count()
            print(
                f"   Google: {result.items:,} changed items, one call each (engine batches "
                f"of ≤ 1,000): {elapsed:.1f} s, {result.items / elapsed:,.0f} items/s "
                f"({live:,} live)"
            )
            Connection.objects.filter(pk__in=[pinterest.pk, google.pk, tiktok.pk]).delete()
        fake_pinterest.stop()
        fake_google.stop()
        tiktok_sync(shop, min(args.tiktok_products, args.products), args.variants)

        # 2. one stock change through a real worker
        if not settings.CELERY_BROKER_URL:
            print("2. skipped: set CELERY_BROKER_URL to run the stock change through a worker")
            fake.stop()
            return
        queue = "bench-channels"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "CHANNELS_META_API_BASE": fake.url,
            "CHANNELS_BATCH_POLL_SECONDS": "0.05",
        }
        worker = subprocess.Popen(
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
                queue,
                "--loglevel",
                "warning",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
        )
        from config.celery import app as celery_app

        celery_app.conf.task_always_eager = False
        celery_app.conf.task_default_queue = queue
        try:
            started = time.perf_counter()
            while not celery_app.control.inspect(timeout=0.5).ping():
                if time.perf_counter() - started > 60:
                    raise SystemExit("the worker did not start within 60 s")
            with tenant_context(shop):
                variant = Variant.objects.order_by("id").first()
            retailer = f"{variant.product_id}-{variant.pk}"
            for label, delta in (("worker just started", 7), ("warm worker", -2)):
                with tenant_context(shop):
                    variant.refresh_from_db()
                    expected = variant.stock + delta
                    before = len(fake.batches)
                    started = time.perf_counter()
                    stock_adjust(variant=variant, delta=delta)  # its commit queues the sync
                    committed = time.perf_counter()
                received = None
                while time.perf_counter() - started < 30 and received is None:
                    for batch in fake.batches[before:]:
                        if any(
                            r["data"]["id"] == retailer and r["data"].get("inventory") == expected
                            for r in batch
                        ):
                            received = time.perf_counter()
                    time.sleep(0.002)
                if received is None:
                    print(f"2. stock change ({label}): not received within 30 s")
                    continue
                print(
                    f"2. stock change → fake Meta through the worker ({label}): "
                    f"{received - committed:.2f} s from the commit "
                    f"({committed - started:.3f} s to commit) (target < 5 s)"
                )
        finally:
            worker.terminate()
            worker.wait(20)
            fake.stop()
            with tenant_context(shop):
                Connection.objects.all().delete()


if __name__ == "__main__":
    main()
