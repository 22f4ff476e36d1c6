"""Time of one uncached render of the demo shop page and of a demo post page, in process.

Seeds the demo shop (``seed_demo``: every section type, reviews with photos, a poll,
posts, their pictures processed) in a scratch database, turns the cache off (every
request renders afresh and finds its shop by host in the database), then requests each
page ``--renders`` times through Django's test client and prints the median and the
10th and 90th percentiles of the time per render, the medians of this process's CPU time
(Python: steadier than the time on a shared machine) and of the time spent waiting for
the database, and the queries one render costs.
Where ``bench/shop_page.py`` measures a server's throughput, this measures what one
render costs, the part of the page that the cache hides.

    .venv/bin/python bench/shop_page_render.py [--renders 200]
    (or: make bench-shop-page-render, BENCH_ARGS="--renders 500")
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time

from scratch import scratch_database

HOST = "demo.localhost"
WARM_UP = 10


def seed(media_root: str) -> int:
    """The demo shop, its pictures ready; returns the id of its newest post."""
    from django.core.management import call_command
    from django.test import override_settings
    from django_tenants.utils import tenant_context

    from config.celery import app as celery_app
    from shops.models import Shop
    from shops.posts.models import Post

    celery_app.conf.task_always_eager = True  # image processing at once, as in the tests
    with override_settings(MEDIA_ROOT=media_root):
        call_command("seed_demo", stdout=io.StringIO())
    with tenant_context(Shop.objects.get(slug="demo")):
        return Post.objects.order_by("-published_at", "-id").values_list("id", flat=True)[0]


def measure(path: str, renders: int) -> tuple[list[float], list[float], list[float], int]:
    """Seconds of each of ``renders`` uncached requests of ``path``: in all, of this
    process's CPU, and waiting for the database; and the queries one request costs."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    waited = 0.0

    def timed(execute, sql, params, many, context):
        nonlocal waited
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            waited += time.perf_counter() - start

    def get() -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    for _ in range(WARM_UP):
        get()
    with CaptureQueriesContext(connection) as captured:  # apart: recording costs time
        get()
    queries = len(captured)  # now: the next request empties the connection's log
    times, cpu_times, database_times = [], [], []
    with connection.execute_wrapper(timed):
        for _ in range(renders):
            waited = 0.0
            start, cpu_start = time.perf_counter(), time.process_time()
            get()
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
            database_times.append(waited)
    return times, cpu_times, database_times, queries


def report(
    name: str, times: list[float], cpu_times: list[float], database_times: list[float], queries: int
) -> str:
    deciles = statistics.quantiles(times, n=10)
    return (
        f"{name:<10} median {1000 * statistics.median(times):6.2f} ms "
        f"(p10 {1000 * deciles[0]:6.2f}, p90 {1000 * deciles[-1]:6.2f}), "
        f"CPU {1000 * statistics.median(cpu_times):5.2f} ms, "
        f"database {1000 * statistics.median(database_times):5.2f} ms, "
        f"{queries} queries per render"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=200)
    options = parser.parse_args()
    with (
        scratch_database("etalage_bench_shop_page_render"),
        tempfile.TemporaryDirectory(prefix="bench-media-") as media_root,
    ):
        from django.test import override_settings

        post_id = seed(media_root)
        no_cache = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
        pages = [("shop page", "/"), ("post page", f"/posts/{post_id}/")]
        with override_settings(MEDIA_ROOT=media_root, CACHES=no_cache, DEBUG=False):
            results = [(name, *measure(path, options.renders)) for name, path in pages]
    print(f"uncached renders of the demo shop, {options.renders} each (Django test client)")
    for result in results:
        print(report(*result))


if __name__ == "__main__":
    main()
