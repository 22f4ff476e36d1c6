"""Buy-now under load, over real HTTP, against PostgreSQL and localstripe on loopback.

1. 200 concurrent buy-now requests for a variant with 10 in stock: exactly 10 orders,
   190 out-of-stock answers, stock 0 (never negative).
2. Latency at 50 concurrent shoppers (each sending requests one after another) for a
   variant with plenty of stock: p50 / p99 (target p99 < 150 ms).

The shop is served by Django's WSGI handler in a server with a fixed pool of threads
(persistent database connections, as production runs with DB_CONN_MAX_AGE); localstripe
runs as a subprocess. Runs in a scratch database it drops afterwards.

    .venv/bin/python bench/buy_now.py [--rush 200] [--stock 10] [--concurrency 50] [--requests 1000]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("DB_CONN_MAX_AGE", "60")
os.environ.pop("CELERY_BROKER_URL", None)  # emails and tasks run in-process
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch import scratch_database

SERVER_THREADS = 16


def serve_forever(database_url: str, stripe_base: str) -> None:
    """Child process: serve the project on a free loopback port (printed on stdout) with a
    fixed pool of threads, until stdin closes."""
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer

    settings.STRIPE_API_BASE = stripe_base
    settings.STRIPE_JS_URL = f"{stripe_base}/js.stripe.com/v3/"
    logging.getLogger("django.request").setLevel(logging.ERROR)  # 190 expected 409s

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    class PooledWSGIServer(WSGIServer):
        request_queue_size = 1024

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.pool = ThreadPoolExecutor(SERVER_THREADS)

        def process_request(self, request, client_address):
            self.pool.submit(self._handle, request, client_address)

        def _handle(self, request, client_address):
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)

    server = PooledWSGIServer(("127.0.0.1", 0), QuietHandler, ipv6=False, allow_reuse_address=True)
    server.set_app(WSGIHandler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_port, flush=True)
    sys.stdin.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rush", type=int, default=200)
    parser.add_argument("--stock", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--serve", nargs=2, metavar=("DATABASE_URL", "STRIPE_BASE"),
                        help=argparse.SUPPRESS)  # fmt: skip
    options = parser.parse_args()
    if options.serve:
        serve_forever(*options.serve)
        return

    from tests.orders.localstripe import localstripe_server

    with localstripe_server() as stripe_base, scratch_database("etalage_bench_buy_now"):
        import requests
        from django.conf import settings
        from django_tenants.utils import tenant_context

        from catalog.models import Variant
        from catalog.services import VariantInput, product_create
        from orders.models import Order
        from orders.payment_accounts import payment_account_set_keys
        from shops import schema_template
        from shops.services import shop_create

        settings.STRIPE_API_BASE = stripe_base
        settings.STRIPE_JS_URL = f"{stripe_base}/js.stripe.com/v3/"
        schema_template.template_ddl()
        shop = shop_create(slug="rush", name="Rush", owner_email="o@example.com",
                           owner_password="correct-horse-battery").shop  # fmt: skip
        with tenant_context(shop):
            payment_account_set_keys(secret_key="sk_test_bench", publishable_key="pk_test_bench",
                                     webhook_secret="whsec_bench")  # fmt: skip
            scarce = product_create(
                title="Limited Print",
                status="active",
                variants=[VariantInput(sku="PRINT", price="40.00", stock=options.stock)],
            ).variants.get()
            plenty = product_create(
                title="Poster",
                status="active",
                variants=[VariantInput(sku="POSTER", price="12.00", stock=1_000_000)],
            ).variants.get()
        from tests.conftest import database_url_for_tests

        # The shop runs in a process of its own, as it would in production: the load
        # generator's threads must not share its interpreter lock.
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", database_url_for_tests(), stripe_base],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}/api/v1/buy-now/"
        headers = {"Host": "rush.localhost", "Content-Type": "application/json"}

        def buy(variant_id: int, index: int) -> tuple[int, float, str]:
            body = json.dumps({"items": [{"variant_id": variant_id, "quantity": 1}],
                               "email": f"s{index}@example.com"})  # fmt: skip
            started = time.perf_counter()
            response = requests.post(url, data=body, headers=headers, timeout=60)
            elapsed = time.perf_counter() - started
            code = (
                response.json().get("error", {}).get("code", "")
                if response.status_code >= 400
                else ""
            )
            return response.status_code, elapsed, code

        buy(plenty.id, 0)  # warm up: imports, first connections

        # 1. the rush
        barrier = threading.Barrier(options.rush)

        def rush(index: int):
            barrier.wait()
            return buy(scarce.id, index)

        started = time.perf_counter()
        with ThreadPoolExecutor(options.rush) as pool:
            results = list(pool.map(rush, range(options.rush)))
        took = time.perf_counter() - started
        answers = Counter((status, code) for status, _, code in results)
        with tenant_context(shop):
            stock = Variant.objects.get(id=scarce.id).stock
            orders = Order.objects.filter(lines__variant_id=scarce.id).count()
        print(f"rush: {options.rush} concurrent buy-now for {options.stock} in stock, "
              f"{took:.2f} s")  # fmt: skip
        print(f"  answers: {dict(sorted(answers.items()))}")
        print(f"  orders created: {orders}, stock left: {stock}")
        expected_out = options.rush - options.stock
        ok = (orders == options.stock and stock == 0
              and answers.get((409, "out_of_stock"), 0) == expected_out)  # fmt: skip
        print(f"  {'OK' if ok else 'FAILED'}: exactly {options.stock} sold, "
              f"{expected_out} out-of-stock answers")  # fmt: skip

        # 2. latency: one shopper at a time, then a steady concurrency
        def measure(concurrency: int, total: int) -> None:
            per_client = max(1, total // concurrency)

            def shopper(index: int) -> list[tuple[int, float, str]]:
                return [buy(plenty.id, index * per_client + n) for n in range(per_client)]

            started = time.perf_counter()
            with ThreadPoolExecutor(concurrency) as pool:
                runs = [result for batch in pool.map(shopper, range(concurrency))
                        for result in batch]  # fmt: skip
            took = time.perf_counter() - started
            latencies = sorted(elapsed * 1000 for _, elapsed, _ in runs)
            statuses = Counter(status for status, _, _ in runs)
            p50 = statistics.median(latencies)
            p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
            print(f"latency: {len(runs)} buy-now at {concurrency} concurrent, "
                  f"{len(runs) / took:.0f} requests/s, statuses {dict(statuses)}")  # fmt: skip
            print(f"  p50 {p50:.0f} ms, p99 {p99:.0f} ms"
                  + (f" (target p99 < 150 ms: {'met' if p99 < 150 else 'NOT met'})"
                     if concurrency == options.concurrency else ""))  # fmt: skip

        measure(1, 100)
        measure(options.concurrency, options.requests)
        server.stdin.close()
        server.wait(timeout=30)
        sys.stdout.flush()
        if not ok:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
