"""Shop creation and migrate_schemas at scale.

Prints the median time to create a shop (schema from the template, domain, owner) with
1, 100 and 1,000 shops already there, and how long ``migrate_schemas`` takes over all
of them when nothing is pending. Runs in a scratch database it drops afterwards, on the
configured server (DATABASE_URL, else the embedded one).

    .venv/bin/python bench/shop_creation.py [--shops 1000] [--samples 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

from scratch import scratch_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=20)
    options = parser.parse_args()

    with scratch_database("etalage_bench"):
        from django.contrib.auth.hashers import make_password
        from django.core.management import call_command

        from shops import schema_template
        from shops.models import Shop
        from shops.services import shop_create

        started = time.perf_counter()
        schema_template.template_ddl()
        print(f"template build (migrations replayed once): {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        for _ in range(5):
            make_password("a-password-for-timing")
        hashing = (time.perf_counter() - started) / 5
        print(f"owner password hashing alone (Django's PBKDF2): {hashing * 1000:.0f} ms")

        prehashed = make_password("correct-horse-battery")

        def create(index: int, password_hash: str | None = None) -> float:
            started = time.perf_counter()
            shop_create(
                slug=f"bench-{index}",
                name=f"Bench {index}",
                owner_email=f"o{index}@example.com",
                owner_password="correct-horse-battery",
                owner_password_hash=password_hash,
            )
            return time.perf_counter() - started

        def ms(samples: list[float]) -> str:
            median = statistics.median(samples) * 1000
            p90 = statistics.quantiles(samples, n=10)[-1] * 1000
            return f"median {median:.0f} ms, p90 {p90:.0f} ms"

        created = 0
        for existing in sorted({1, 100, options.shops}):
            while created < existing:
                create(created, prehashed)
                created += 1
            whole = [create(created + i) for i in range(options.samples)]
            created += options.samples
            schema_only = [create(created + i, prehashed) for i in range(options.samples)]
            created += options.samples
            print(
                f"shop creation with {existing:>5} shops existing: {ms(whole)}; "
                f"with the password hashed ahead: {ms(schema_only)}"
            )

        total = Shop.objects.count()
        for executor in ("standard", "multiprocessing"):
            started = time.perf_counter()
            call_command(
                "migrate_schemas", tenant=True, interactive=False, verbosity=0, executor=executor
            )
            print(
                f"migrate_schemas ({executor}) over {total} shops, nothing to apply: "
                f"{time.perf_counter() - started:.2f} s"
            )


if __name__ == "__main__":
    main()
