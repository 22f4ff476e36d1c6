"""The time from a stock change to Meta under ``make run``: ``manage.py rundemo`` (its
embedded Redis, Celery worker and beat, localstripe and runserver, as ``make run``
starts them) on a scratch database, its demo shop connected to a fake Meta Graph API
that runs in this process; the variant's stock is set through the partner API
(``POST /api/v1/variants/{id}/stock/``), and the clock stops when the fake Meta receives
the item with that stock.

Each change waits for the previous sync to finish (the shop otherwise idle); the first
change, which sends the whole item (not on Meta yet), is shown apart. Meta's batch
status is polled every CHANNELS_BATCH_POLL_SECONDS (2 s by default, as in production):
that comes after the item reached Meta, so it is not in the figure, but it keeps the
sync (and the connection) busy that long.

Runs on the configured database server (DATABASE_URL, else the embedded PostgreSQL);
the broker and cache are always the embedded Redis, as under ``make run``.

    .venv/bin/python bench/stock_to_meta.py [--changes 10]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch import scratch_database

for name in ("REDIS_URL", "CELERY_BROKER_URL"):  # the embedded Redis, as `make run`
    os.environ.pop(name, None)


def received_at(fake, retailer: str, stock: int, before: int, timeout: float) -> float | None:
    """perf_counter() when the fake Meta got ``retailer`` with ``stock`` (None: never)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for index in range(before, len(fake.batches)):
            if any(
                r["data"]["id"] == retailer and r["data"].get("inventory") == stock
                for r in fake.batches[index]
            ):
                return fake.batch_times[index]
        time.sleep(0.01)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=10)
    args = parser.parse_args()
    with scratch_database(os.environ.get("BENCH_DATABASE", "etalage_bench_stock_to_meta")):
        from django.conf import settings
        from django_tenants.utils import tenant_context

        from catalog.models import CatalogChange, Variant
        from shops import schema_template
        from shops.api.services import api_key_create
        from shops.channels.models import ChannelItem, Connection
        from shops.channels.services import connection_create
        from shops.demo.management.commands.seed_demo import DEMO_SLUG
        from shops.models import Shop
        from tests.channels.fake_meta import FakeMeta
        from tests.orders.test_demo import rundemo_start

        schema_template.template_ddl()
        fake = FakeMeta()
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            # its SECRET_KEY is this process's: it reads the credentials stored from here
            rundemo, port, _, log = rundemo_start(
                Path(folder), CHANNELS_META_API_BASE=fake.url, SECRET_KEY=settings.SECRET_KEY
            )
            print(f"rundemo serving in {time.perf_counter() - started:.1f} s (web :{port})")
            try:
                shop = Shop.objects.get(slug=DEMO_SLUG)
                with tenant_context(shop):
                    connection = connection_create(
                        channel="meta", access_token=fake.token, external_id=fake.catalog_id
                    )
                    secret = api_key_create(name="Bench", scopes=["catalog:write"]).secret
                    ready = Variant.objects.filter(product__status="active", stock__gt=0)
                    variant = ready.filter(product__images__isnull=False).order_by("id").first()
                retailer = f"{variant.product_id}-{variant.pk}"

                def synced() -> bool:
                    with tenant_context(shop):
                        last = CatalogChange.objects.order_by("-id").values_list("id", flat=True)
                        return Connection.objects.get(pk=connection.pk).outbox_last_id == last[0]

                figures, answers = [], []
                for change in range(args.changes + 1):
                    stock = 100 + change
                    before = len(fake.batches)
                    started = time.perf_counter()
                    answer = requests.post(
                        f"http://127.0.0.1:{port}/api/v1/variants/{variant.pk}/stock/",
                        json={"set": stock},
                        headers={
                            "Host": f"{DEMO_SLUG}.localhost:{port}",
                            "Authorization": f"Bearer {secret}",
                        },
                        timeout=30,
                    )
                    answered = time.perf_counter()
                    answer.raise_for_status()
                    received = received_at(fake, retailer, stock, before, timeout=60)
                    if received is None:
                        with tenant_context(shop):
                            state = Connection.objects.values(
                                "status", "last_error", "outbox_last_id"
                            ).get(pk=connection.pk)
                            items = list(
                                ChannelItem.objects.values_list("retailer_id", "state", "message")
                            )
                        raise SystemExit(
                            f"change {change}: not received within 60 s "
                            f"({state}, items {items})\n"
                            f"{log.read_text()[-3000:]}"
                        )
                    if change == 0:
                        print(
                            f"first change (the whole item, not on Meta yet): "
                            f"{received - started:.2f} s"
                        )
                    else:
                        figures.append(received - started)
                        answers.append(answered - started)
                    deadline = time.perf_counter() + 60
                    while not synced() and time.perf_counter() < deadline:
                        time.sleep(0.05)
                sent = sum(
                    1 for batch in fake.batches for r in batch if r["data"]["id"] == retailer
                )
                print(
                    f"{args.changes} stock changes, API call → item at the fake Meta: "
                    f"median {statistics.median(figures):.2f} s, max {max(figures):.2f} s, "
                    f"min {min(figures):.2f} s (the API answered in median "
                    f"{statistics.median(answers) * 1000:.0f} ms); the item was sent "
                    f"{sent} times for {args.changes + 1} changes"
                )
            finally:
                rundemo.send_signal(signal.SIGTERM)
                rundemo.wait(timeout=30)
                fake.stop()


if __name__ == "__main__":
    main()
