"""Partner API speed: requests per second for product list pages of 100 items.

Creates a shop with 1,000 active products (3 variants and 1 ready image each) and an API
key in a scratch database, then pages through ``GET /api/v1/products/?limit=100`` by its
cursors for a few seconds, each request through Django's whole WSGI stack in-process
(``django.test.Client``: host routing, key lookup, throttle, queries, JSON rendering;
no network, one thread). Prints requests/s and latency percentiles.

    .venv/bin/python bench/api_products.py [--seconds 10]     (or: make bench-api)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("API_THROTTLE_RATE", "100000000/minute")  # measure, don't throttle

from scratch import scratch_database

PRODUCTS = 1_000
PAGE = 100


def fill(shop) -> str:
    """Products written in bulk (setting the stage, not what is measured); a key."""
    from django_tenants.utils import tenant_context

    from catalog.models import Product, ProductImage, Variant
    from shops.api.services import api_key_create

    with tenant_context(shop):
        products = Product.objects.bulk_create(
            Product(title=f"Bench product {n:04}", slug=f"bench-{n}", status="active",
                    description="<p>Soft and sturdy.</p>", tags=["bench"], option1_name="Size")
            for n in range(PRODUCTS)
        )  # fmt: skip
        Variant.objects.bulk_create(
            Variant(product=p, sku=f"B{p.pk}-{size}", option1=size, price="19.90", stock=5,
                    position=position)
            for p in products for position, size in enumerate(("S", "M", "L"))
        )  # fmt: skip
        ProductImage.objects.bulk_create(
            ProductImage(product=p, image=f"products/{p.pk}.jpg", width=1080, height=1080,
                         renditions={"320": f"products/{p.pk}-320.webp",
                                     "640": f"products/{p.pk}-640.webp"})
            for p in products
        )  # fmt: skip
        return api_key_create(name="Bench", scopes=["catalog:read"]).secret


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    options = parser.parse_args()

    with scratch_database("etalage_bench_api"):
        from django.test import Client

        from shops import schema_template
        from shops.services import shop_create

        schema_template.template_ddl()
        shop = shop_create(slug="bench", name="Bench", owner_email="o@example.com",
                           owner_password="correct-horse-battery").shop  # fmt: skip
        secret = fill(shop)
        client = Client(HTTP_HOST="bench.localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
        first = f"/api/v1/products/?limit={PAGE}"

        url, timings, items = first, [], 0
        for _ in range(5):  # warm up
            client.get(first)
        deadline = time.perf_counter() + options.seconds
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:300]
            body = response.json()
            items += len(body["results"])
            url = body["next"] or first

        total = sum(timings)
        quantiles = statistics.quantiles(timings, n=100)
        print(f"GET /api/v1/products/?limit={PAGE} (Django WSGI in-process, one thread), "
              f"{PRODUCTS:,} products of 3 variants and 1 image")  # fmt: skip
        print(
            f"{len(timings):,} requests in {total:.1f} s = {len(timings) / total:,.1f} req/s "
            f"({items / total:,.0f} products/s); latency p50 {quantiles[49] * 1000:.1f} ms, "
            f"p95 {quantiles[94] * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
