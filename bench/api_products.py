"""Partner API speed: requests per second for product list pages of 100 items.

Creates a shop with 1,000 active products (3 variants and 1 ready image each) and an API
key in a scratch database, starts gunicorn on loopback (``--workers`` sync workers,
persistent database connections, as in production) and pages through
``GET /api/v1/products/?limit=100``: the ten pages' cursor URLs are read first, then
wrk (8 connections, keep-alive) cycles through them with the key for ``--seconds``.
Prints requests/s, products/s, latency percentiles and the workers' CPU time per
request, and what one page costs in queries and time in this process (``--profile``
adds where that time goes).

Needs wrk (``apt-get install wrk``); without it a Python load generator (8 threads with
keep-alive connections) is used, which measures less precisely. The throttle is lifted
(``API_THROTTLE_RATE``) so it does not decide the figure.

    .venv/bin/python bench/api_products.py [--seconds 10] [--workers 4] [--profile]
    (or: make bench-api)
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import os
import pstats
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

os.environ.setdefault("API_THROTTLE_RATE", "100000000/minute")  # measure, don't throttle

from buy_now import children, cpu_seconds
from scratch import scratch_database
from shop_page import gunicorn_serving

HOST = "bench.localhost"
CONNECTIONS = 8
PRODUCTS = 1_000
PAGE = 100


def fill(shop) -> str:
    """Products written in bulk (setting the stage, not what is measured); a key."""
    from django_tenants.utils import tenant_context

    from catalog.models import Product, ProductImage, Variant
    from shops.api.services import api_key_create

    with tenant_context(shop):
        products = Product.objects.bulk_create(
            Product(
                title=f"Bench product {n:04}",
                slug=f"bench-{n}",
                status="active",
                description="<p>Soft and sturdy.</p>",
                tags=["bench"],
                option1_name="Size",
            )
            for n in range(PRODUCTS)
        )
        Variant.objects.bulk_create(
            Variant(
                product=p,
                sku=f"B{p.pk}-{size}",
                option1=size,
                price="19.90",
                stock=5,
                position=position,
            )
            for p in products
            for position, size in enumerate(("S", "M", "L"))
        )
        ProductImage.objects.bulk_create(
            ProductImage(
                product=p,
                image=f"products/{p.pk}.jpg",
                width=1080,
                height=1080,
                renditions={"320": f"products/{p.pk}-320.webp", "640": f"products/{p.pk}-640.webp"},
            )
            for p in products
        )
        return api_key_create(name="Bench", scopes=["catalog:read"]).secret


def page_urls(port: int, secret: str) -> list[str]:
    """The list's pages, by following ``next`` from the first (paths with the cursor)."""
    urls, path = [], f"/api/v1/products/?limit={PAGE}"
    while path:
        status, body = get(port, path, secret)
        assert status == 200, (status, body[:300])
        urls.append(path)
        following = json.loads(body)["next"]
        path = following.split(HOST, 1)[1] if following else None
    return urls


def get(port: int, path: str, secret: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Host": HOST, "Authorization": f"Bearer {secret}"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


WRK_SCRIPT = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1],
                    {["Host"] = "%s", ["Authorization"] = "Bearer %s"})
end
"""


def load_wrk(port: int, urls: list[str], secret: str, seconds: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (", ".join(json.dumps(u) for u in urls), HOST, secret))
    try:
        output = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(CONNECTIONS),
                "-d",
                f"{seconds}s",
                "--latency",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}/",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    if re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        raise SystemExit(f"failed responses\n{output}")

    def milliseconds(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": milliseconds("50"),
        "p90": milliseconds("90"),
        "p99": milliseconds("99"),
    }


def load_python(port: int, urls: list[str], secret: str, seconds: int) -> dict:
    timings: list[float] = []
    deadline = time.monotonic() + seconds

    def run(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Host": HOST, "Authorization": f"Bearer {secret}"}
        count = index
        while time.monotonic() < deadline:
            started = time.perf_counter()
            connection.request("GET", urls[count % len(urls)], headers=headers)
            response = connection.getresponse()
            response.read()
            timings.append(time.perf_counter() - started)
            if response.status != 200:
                raise SystemExit(f"HTTP {response.status}")
            count += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cuts = statistics.quantiles(timings, n=100)
    return {
        "rate": len(timings) / seconds,
        "p50": cuts[49] * 1000,
        "p90": cuts[89] * 1000,
        "p99": cuts[98] * 1000,
    }


def one_page_in_process(secret: str, *, profile: bool) -> None:
    """A page through Django's test client here: its queries and time (and profile)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Bearer {secret}")
    path = f"/api/v1/products/?limit={PAGE}"
    for _ in range(3):
        client.get(path)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        client.get(path)
        elapsed = time.perf_counter() - started
    database = sum(float(q["time"]) for q in queries.captured_queries)
    print(
        f"one page in this process: {len(queries)} queries ({database * 1000:.1f} ms in "
        f"the database), {elapsed * 1000:.1f} ms in all"
    )
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            client.get(path)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--profile", action="store_true", help="profile ten pages in-process")
    options = parser.parse_args()
    load = load_wrk if shutil.which("wrk") else load_python
    if load is load_python:
        print("wrk not found (apt-get install wrk): using the Python load generator")

    with scratch_database("etalage_bench_api"):
        from shops import schema_template
        from shops.services import shop_create

        schema_template.template_ddl()
        shop = shop_create(
            slug="bench",
            name="Bench",
            owner_email="o@example.com",
            owner_password="correct-horse-battery",
        ).shop
        secret = fill(shop)
        one_page_in_process(secret, profile=options.profile)
        with gunicorn_serving(options.workers) as (server, port):
            urls = page_urls(port, secret)
            load(port, urls, secret, 2)  # warm every worker up
            one_at_a_time = []
            for number in range(50):
                started = time.perf_counter()
                status, _body = get(port, urls[number % len(urls)], secret)
                one_at_a_time.append((time.perf_counter() - started) * 1000)
                assert status == 200
            workers = children(server.pid)
            cpu_before = sum(cpu_seconds(pid) for pid in workers)
            result = load(port, urls, secret, options.seconds)
            cpu_used = sum(cpu_seconds(pid) for pid in workers) - cpu_before
    print(
        f"GET /api/v1/products/?limit={PAGE} through its {len(urls)} pages: gunicorn, "
        f"{options.workers} sync workers, {CONNECTIONS} connections, {options.seconds} s; "
        f"{PRODUCTS:,} products of 3 variants and 1 image"
    )
    print(
        f"one request at a time: p50 {statistics.median(one_at_a_time):.1f} ms, "
        f"min {min(one_at_a_time):.1f} ms"
    )
    print(
        f"gunicorn workers' CPU per request: "
        f"{cpu_used * 1000 / (result['rate'] * options.seconds):.1f} ms "
        f"({cpu_used / options.seconds:.2f} cores busy of {os.cpu_count()})"
    )
    print(
        f"{result['rate']:,.1f} req/s ({result['rate'] * PAGE:,.0f} products/s); latency "
        f"p50 {result['p50']:.1f} ms, p90 {result['p90']:.1f} ms, p99 {result['p99']:.1f} ms"
    )


if __name__ == "__main__":
    main()
