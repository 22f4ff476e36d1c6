"""Shop page throughput against a bare Django view, under the same gunicorn server.

Creates a shop with 1,000 products (4 variants each) and a published design (hero,
featured collection, product grid, rich text) in a scratch database, starts gunicorn on
loopback with 4 workers, and measures requests per second with wrk, 8 connections, for
the shop page and for a view returning "ok" (``bench/shop_page_site.py``), then prints
both and their ratio. Target: the shop page at half the bare view's rate or more.

Needs wrk (``apt-get install wrk``); without it a Python load generator (8 threads with
keep-alive connections) is used, which measures less precisely. The cache is the Redis of
REDIS_URL (as in production), else an embedded Redis of the benchmark's own (as make run).
Database connections are the defaults' (DB_CONN_MAX_AGE); with no DATABASE_URL, the
embedded PostgreSQL.

    .venv/bin/python bench/shop_page.py [--seconds 10] [--uncached] [--every-section]
    (or: make bench-shop-page, BENCH_ARGS="--uncached")

``--every-section`` adds a poll, a reviews wall and a posts gallery, with reviews (some
with photos), votes and nine posts, so that every kind of section is measured.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scratch import scratch_database

from config.child_processes import free_port
from config.database_url import database_url_of

ROOT = Path(__file__).resolve().parent.parent
HOST = "bench.localhost"
CONNECTIONS = 8
WORKERS = 4


def seed_features(media_root: str) -> list[tuple[str, dict]]:
    """Reviews with photos, votes and an open poll (``reviews.demo``) and nine published
    posts tagging three products each, their files under ``media_root``; the sections
    that show them."""
    import io

    from django.test import override_settings
    from PIL import Image

    from catalog.models import Product
    from reviews.demo import demo_reviews_seed
    from shops.posts import services as posts
    from shops.posts.models import Post

    with override_settings(MEDIA_ROOT=media_root):
        demo_reviews_seed()
        products = list(Product.objects.order_by("id")[:27])
        for index in range(9):
            picture = io.BytesIO()
            Image.new("RGB", (600, 600), (40 * index, 90, 120)).save(picture, "JPEG")
            posts.post_create(
                images=[posts.ImageInput(file=picture, alt_text=f"Look {index}")],
                tags=[
                    [
                        posts.TagInput(product_id=product.id, x=0.2 + 0.3 * n, y=0.5)
                        for n, product in enumerate(products[3 * index : 3 * index + 3])
                    ]
                ],
                caption=f"Look {index}",
                status=Post.Status.PUBLISHED,
            )
    return [
        ("poll", {"heading": "Have your say"}),
        ("reviews_wall", {"heading": "What shoppers say", "limit": 6, "min_rating": 4}),
        ("posts_gallery", {"heading": "Shop the look", "limit": 9}),
    ]


def seed(products: int, *, every_section: bool = False, media_root: str = "") -> None:
    from catalog_import import generate
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import tenant_context

    from catalog.collections import collection_create
    from catalog.imports import products_import
    from shops import schema_template
    from shops.services import shop_create
    from shops.storefront import services

    schema_template.template_ddl()
    shop = shop_create(
        slug="bench",
        name="Bench",
        owner_email="o@example.com",
        owner_password="correct-horse-battery",
    ).shop
    with tenant_context(shop):
        result = products_import(file=__import__("io").BytesIO(generate(products * 4)))
        assert result.created == products, result
        collection_create(title="Shirts", slug="shirts", kind="automatic", rule_tags=["shirt"])
        sections = [
            ("hero", {"heading": "Bench", "text": "A shop of a thousand shirts."}),
            ("featured_collection", {"collection": "shirts", "limit": 8}),
            ("rich_text", {"heading": "About", "html": "<p>Made for measuring.</p>"}),
        ]
        if every_section:
            sections += seed_features(media_root)
        for kind, settings in sections:
            section = services.section_add(section_type_key=kind)
            services.section_update(section_id=section["id"], settings=settings)
        services.design_publish()
    with CaptureQueriesContext(connection) as queries:
        response = Client(HTTP_HOST=HOST).get("/")
    assert response.status_code == 200
    print(f"shop: {products:,} products; a fresh shop page render costs {len(queries)} queries")


def wait_until_up(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


@contextmanager
def gunicorn_serving(workers: int) -> Iterator[tuple[subprocess.Popen, int]]:
    """gunicorn serving the project (``config.wsgi``) with ``workers`` sync workers on a
    free loopback port, on the scratch database, DEBUG off and warnings only, as in
    production; yields the server and its port once it answers, and stops it after."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url_of(), "DEBUG": "false"}
    env["LOG_LEVEL"] = "WARNING"
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
    command += ["--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen([*command, "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        wait_until_up(port)
        yield server, port
    finally:
        server.terminate()
        server.wait(timeout=30)


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": HOST})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def load_wrk(port: int, path: str, seconds: int) -> float:
    output = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(CONNECTIONS),
            "-d",
            f"{seconds}s",
            "-H",
            f"Host: {HOST}",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise SystemExit(f"{path}: {non_2xx.group(1)} failed responses\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def load_python(port: int, path: str, seconds: int) -> float:
    counts = [0] * CONNECTIONS
    deadline = time.monotonic() + seconds

    def run(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            connection.request("GET", path, headers={"Host": HOST})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path}: HTTP {response.status}")
            counts[index] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--products", type=int, default=1_000)
    parser.add_argument(
        "--uncached", action="store_true", help="no cache: every shop page is rendered afresh"
    )
    parser.add_argument(
        "--every-section",
        action="store_true",
        help="add a poll, a reviews wall and a posts gallery (with reviews, votes, posts)",
    )
    options = parser.parse_args()
    load = load_wrk if shutil.which("wrk") else load_python
    if load is load_python:
        print("wrk not found (apt-get install wrk): using the Python load generator")

    with (
        scratch_database("etalage_bench_shop_page"),
        tempfile.TemporaryDirectory(prefix="bench-media-") as media_root,
    ):
        seed(options.products, every_section=options.every_section, media_root=media_root)
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shop_page_site",
            "DATABASE_URL": database_url_of(),
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "BENCH_UNCACHED": "1" if options.uncached else "",
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{port}",
                "--pythonpath",
                str(ROOT / "bench"),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            wait_until_up(port)
            for path in ("/", "/bench-ok/"):
                status, body = get(port, path)
                assert status == 200, (path, status, body[:300])
                load(port, path, 2)  # warm every worker up
            # alternate the two, best of two rounds each: a background hiccup (autovacuum
            # after the import) must not decide the ratio
            rates: dict[str, list[float]] = {"/": [], "/bench-ok/": []}
            for _ in range(2):
                for path in ("/bench-ok/", "/"):
                    rates[path].append(load(port, path, options.seconds))
            shop_page, bare = max(rates["/"]), max(rates["/bench-ok/"])
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"gunicorn, {WORKERS} workers, {CONNECTIONS} connections, "
        f"best of 2 runs of {options.seconds} s"
    )
    print(f"shop page:      {shop_page:8,.0f} req/s{' (uncached)' if options.uncached else ''}")
    print(f"bare 'ok' view: {bare:8,.0f} req/s")
    ratio = shop_page / bare
    print(f"ratio:          {ratio:8.2f} (target ≥ 0.5: {'met' if ratio >= 0.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
