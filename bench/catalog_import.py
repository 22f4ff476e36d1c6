"""Product CSV import speed (Shopify's format, no images).

Generates N rows (products of 4 variants), imports them into a fresh shop, then imports
the same file again (every product matched, nothing to change), and prints rows per
second for both. Runs in a scratch database it drops afterwards, on the configured server
(DATABASE_URL, else the embedded one). Target: 2,000 rows/s or more on 2 cores.

    .venv/bin/python bench/catalog_import.py [--rows 20000]     (or: make bench-import)
"""

from __future__ import annotations

import argparse
import csv
import io
import time

from scratch import scratch_database

SIZES = ("S", "M", "L", "XL")


def generate(rows: int) -> bytes:
    from catalog import shopify_csv as col

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=col.EXPORT_COLUMNS)
    writer.writeheader()
    for index in range(rows):
        number, size = divmod(index, len(SIZES))
        row = {
            col.HANDLE: f"bench-product-{number}",
            col.OPTION_VALUES[0]: SIZES[size],
            col.SKU: f"B{number}-{SIZES[size]}",
            col.PRICE: f"{10 + number % 90}.{size}0",
            col.STOCK: str(number % 50),
            col.GRAMS: "250",
        }
        if size == 0:
            row.update(
                {
                    col.TITLE: f"Bench product {number}",
                    col.VENDOR: "Bench",
                    col.BODY: f"<p>Product <strong>{number}</strong>, soft and sturdy.</p>",
                    col.TYPE: "Shirt",
                    col.TAGS: "bench, shirt",
                    col.OPTION_NAMES[0]: "Size",
                    col.STATUS: "active",
                    col.SEO_TITLE: f"Bench {number}",
                }
            )
        writer.writerow(row)
    return buffer.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    options = parser.parse_args()

    with scratch_database("etalage_bench_import"):
        from django_tenants.utils import tenant_context

        from catalog.imports import products_import
        from catalog.models import Product, Variant
        from shops import schema_template
        from shops.services import shop_create

        schema_template.template_ddl()
        shop = shop_create(
            slug="bench",
            name="Bench",
            owner_email="o@example.com",
            owner_password="correct-horse-battery",
        ).shop
        data = generate(options.rows)
        with tenant_context(shop):
            for label in ("first import (creates)", "same file again (matches, no changes)"):
                started = time.perf_counter()
                result = products_import(file=io.BytesIO(data))
                elapsed = time.perf_counter() - started
                assert not result.errors, result.errors[:3]
                print(
                    f"{label}: {options.rows:,} rows in {elapsed:.2f} s = "
                    f"{options.rows / elapsed:,.0f} rows/s "
                    f"(created {result.created:,}, updated {result.updated:,}, "
                    f"unchanged {result.unchanged:,})"
                )
            products, variants = Product.objects.count(), Variant.objects.count()
            print(f"stored: {products:,} products, {variants:,} variants")


if __name__ == "__main__":
    main()
