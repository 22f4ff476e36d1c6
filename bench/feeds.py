"""Feeds over HTTP: a feed of generated variants through the feed view (its middleware
included), identity and gzipped, each in a child process of its own: time, bytes sent,
peak RSS of the process and the peak of Python allocations while streaming
(tracemalloc, a second fetch: it slows the first), and the answers of HEAD and of a
conditional GET (304).

    .venv/bin/python bench/feeds.py [--products 2500] [--variants 4]
        [--feeds meta.xml,meta.csv,pinterest.tsv,google.xml]

Memory stays flat as the catalog grows: run it with --products 10000 to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from channels import generate
from scratch import scratch_database

from config.database_url import database_url_of

ROOT = Path(__file__).resolve().parent.parent
FEEDS = "meta.xml,meta.csv,pinterest.tsv,google.xml"


def feed_child(database_url: str, slug: str, feed: str, token: str, encoding: str) -> None:
    """Child process: fetch the feed twice (timed, then traced), HEAD and a conditional
    GET; print the figures as JSON."""
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST=f"{slug}.localhost", HTTP_ACCEPT_ENCODING=encoding)
    path, query = f"/feeds/{feed}", {"token": token}

    def fetch() -> tuple[object, int]:
        response = client.get(path, query)
        return response, sum(len(chunk) for chunk in response.streaming_content)

    started, cpu_started = time.perf_counter(), time.process_time()
    response, size = fetch()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    tracemalloc.start()
    fetch()
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    head = client.head(path, query)
    again = client.get(path, query, HTTP_IF_NONE_MATCH=response["ETag"])
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "bytes": size,
                "content_encoding": response.get("Content-Encoding", "identity"),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "traced_peak_mb": traced_peak / 2**20,
                "head_status": head.status_code,
                "conditional_status": again.status_code,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=2_500)
    parser.add_argument("--variants", type=int, default=4)
    parser.add_argument("--feeds", default=FEEDS, help="comma-separated, e.g. meta.xml")
    parser.add_argument("--child", nargs=5, metavar=("URL", "SLUG", "FEED", "TOKEN", "ENC"))
    args = parser.parse_args()
    if args.child:
        feed_child(*args.child)
        return
    with scratch_database(os.environ.get("BENCH_DATABASE", "etalage_bench_feeds")):
        from django_tenants.utils import tenant_context

        from shops.channels.services import connection_create
        from shops.services import shop_create

        shop = shop_create(
            slug="bench",
            name="Bench",
            owner_email="o@example.com",
            owner_password="plum-orchard-lantern-42",
        ).shop
        with tenant_context(shop):
            generate(args.products, args.variants)
            tokens = {
                channel: connection_create(channel=channel).feed_token
                for channel in ("meta", "pinterest", "google", "tiktok")
            }
        total = args.products * args.variants
        print(f"feeds of {total:,} variants (one child process per fetch)")
        print(
            f"{'feed':<15}{'encoding':<10}{'seconds':>8}{'cpu s':>7}{'bytes':>12}"
            f"{'peak RSS':>10}{'traced':>9}  HEAD  304?"
        )
        for feed in args.feeds.split(","):
            for encoding in ("identity", "gzip"):
                child = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        database_url_of(),
                        "bench",
                        feed,
                        tokens[feed.split(".")[0]],
                        encoding,
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=ROOT,
                )
                row = json.loads(child.stdout.strip().splitlines()[-1])
                print(
                    f"{feed:<15}{row['content_encoding']:<10}{row['seconds']:>8.2f}"
                    f"{row['cpu_seconds']:>7.2f}{row['bytes']:>12,}{row['peak_rss_mb']:>8.0f}MB"
                    f"{row['traced_peak_mb']:>7.1f}MB  {row['head_status']:>4}  "
                    f"{row['conditional_status']}"
                )


if __name__ == "__main__":
    main()
