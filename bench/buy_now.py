"""Buy-now under load, over real HTTP, against PostgreSQL and a Stripe on loopback.

Per Stripe mode (``localstripe``: the stateful fake Stripe the tests use, single-threaded
and pickling its whole store on every POST; ``stub``: ``bench/stripe_stub.py``, a
minimal PaymentIntent answer, so our own latency shows apart from localstripe's):

1. the rush: 200 concurrent buy-now requests for a variant with 10 in stock: exactly 10
   orders, 190 out-of-stock answers, stock 0 (never negative);
2. latency one request at a time, then at 50 concurrent connections (wrk, keep-alive)
   for a variant with plenty of stock: p50 / p95 / p99, requests/s (target p99 < 150 ms);
3. CPU time per request at 50 concurrent, from /proc: the gunicorn workers, the
   PostgreSQL backends of the benchmark database and the Stripe process (wrk, the load
   generator, shares the same cores but is not counted).

The shop is served by gunicorn (``--workers`` processes, ``--threads`` each: sync
workers by default) with persistent database connections, as in production. ``--profile``
instead profiles one buy-now in this process (queries, time in the database, in the
Stripe call and the rest). Runs in a scratch database it drops afterwards.

    .venv/bin/python bench/buy_now.py [--modes localstripe,stub] [--workers 4]
        [--threads 1] [--seconds 10] [--rush 200] [--stock 10] [--concurrency 50]
    .venv/bin/python bench/buy_now.py --profile
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
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

os.environ.pop("CELERY_BROKER_URL", None)  # emails and tasks run in-process
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch import scratch_database
from shop_page import free_port, wait_until_up
from stripe_stub import stripe_stub_server

from config.database_url import database_url_of

ROOT = Path(__file__).resolve().parent.parent
HOST = "rush.localhost"
PATH = "/api/v1/buy-now/"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# a physical product is shipped: buy-now needs an address it can deliver to
ADDRESS = {
    "name": "Sam Rush",
    "line1": "1 Rue de Rivoli",
    "postal_code": "75001",
    "city": "Paris",
    "country": "FR",
}

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = '{"items": [{"variant_id": %d, "quantity": 1}], "email": "s@example.com", '
  .. '"shipping_address": {"name": "Sam Rush", "line1": "1 Rue de Rivoli", '
  .. '"postal_code": "75001", "city": "Paris", "country": "FR"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Host"] = "%s"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", latency:percentile(50),
    latency:percentile(95), latency:percentile(99), summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
"""


# --- processes and their CPU time ---------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def child_named(word: str) -> int:
    """The pid of this process's child whose command line holds ``word``."""
    for pid in children(os.getpid()):
        if word in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
            return pid
    raise RuntimeError(f"no child process running {word}")


def database_backends() -> list[int]:
    """The PostgreSQL backends connected to the benchmark database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


# --- the shop under gunicorn ---------------------------------------------------------------


@contextmanager
def gunicorn(stripe_base: str, workers: int, threads: int) -> Iterator[subprocess.Popen]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of(),
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "buy_now_site",
        "STRIPE_API_BASE": stripe_base,
        "STRIPE_JS_URL": f"{stripe_base}/js.stripe.com/v3/",
        # every request comes from 127.0.0.1: the per-address limit would answer 429
        "ORDERS_RATE_BUY_NOW": "off",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--backlog",
            "2048",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--pythonpath",
            str(ROOT / "bench"),
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_up(port)
        server.port = port  # type: ignore[attr-defined]
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def post(port: int, variant_id: int, index: int) -> tuple[int, float, str]:
    body = json.dumps(
        {
            "items": [{"variant_id": variant_id, "quantity": 1}],
            "email": f"s{index}@example.com",
            "shipping_address": ADDRESS,
        }
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    connection.request("POST", PATH, body, {"Host": HOST, "Content-Type": "application/json"})
    response = connection.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    code = json.loads(payload).get("error", {}).get("code", "") if response.status >= 400 else ""
    return response.status, elapsed, code


def rush(port: int, variant_id: int, count: int) -> tuple[float, Counter]:
    barrier = threading.Barrier(count)

    def one(index: int) -> tuple[int, float, str]:
        barrier.wait()
        return post(port, variant_id, index)

    started = time.perf_counter()
    with ThreadPoolExecutor(count) as pool:
        results = list(pool.map(one, range(count)))
    return time.perf_counter() - started, Counter((s, c) for s, _, c in results)


def wrk(port: int, variant_id: int, connections: int, seconds: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (variant_id, HOST))
    try:
        output = subprocess.run(
            [
                "wrk",
                "-t",
                str(min(2, connections)),
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "--timeout",
                "30s",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}{PATH}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    p50, p95, p99, requests, duration_us, errors = map(
        int, re.search(r"RESULT (.*)", output).group(1).split()
    )
    return {
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "requests": requests,
        "rate": requests / (duration_us / 1e6),
        "errors": errors,
    }


# --- one Stripe mode -----------------------------------------------------------------------


def run_mode(mode: str, stripe_base: str, stripe_pid: int, shop, options) -> bool:
    from django_tenants.utils import tenant_context

    from catalog.models import Variant
    from catalog.services import VariantInput, product_create
    from orders.models import Order

    with tenant_context(shop):
        scarce = product_create(
            title=f"Limited Print ({mode})",
            status="active",
            variants=[VariantInput(sku=f"PRINT-{mode}", price="40.00", stock=options.stock)],
        ).variants.get()
        plenty = product_create(
            title=f"Poster ({mode})",
            status="active",
            variants=[VariantInput(sku=f"POSTER-{mode}", price="12.00", stock=10_000_000)],
        ).variants.get()

    print(
        f"\n== Stripe: {mode} ({stripe_base}); gunicorn {options.workers} workers x "
        f"{options.threads} thread(s), persistent DB connections"
    )
    with gunicorn(stripe_base, options.workers, options.threads) as server:
        wrk(server.port, plenty.id, options.workers * 2, 2)  # warm every worker up

        took, answers = rush(server.port, scarce.id, options.rush)
        with tenant_context(shop):
            variant = Variant.objects.get(id=scarce.id)
            orders = Order.objects.filter(lines__variant_id=scarce.id).count()
        out = options.rush - options.stock
        # unpaid, the orders hold every unit: on hand unchanged, nothing available
        ok = (
            orders == variant.held == options.stock
            and variant.available == 0
            and answers.get((409, "out_of_stock")) == out
        )
        print(
            f"rush: {options.rush} concurrent for {options.stock} in stock in {took:.2f} s: "
            f"{orders} orders, on hand {variant.stock}, held {variant.held}, available "
            f"{variant.available}, answers {dict(sorted(answers.items()))} "
            f"{'OK' if ok else 'FAILED'}"
        )

        for connections in (1, options.concurrency):

            def processes() -> dict[str, list[int]]:
                # backends opened during the run (a worker thread's first query) count
                # from 0; one closed during the run would be missed (connections persist)
                return {
                    "django": children(server.pid),
                    "postgres": database_backends(),
                    "stripe": [stripe_pid],
                }

            before = {pid: cpu_seconds(pid) for pids in processes().values() for pid in pids}
            result = wrk(server.port, plenty.id, connections, options.seconds)
            per_request = {
                name: sum(cpu_seconds(pid) - before.get(pid, 0.0) for pid in pids)
                * 1000
                / max(1, result["requests"])
                for name, pids in processes().items()
            }
            target = ""
            if connections == options.concurrency:
                target = f" (target p99 < 150 ms: {'met' if result['p99'] < 150 else 'NOT met'})"
            print(
                f"{connections:>3} concurrent: {result['rate']:6.0f} req/s, p50 "
                f"{result['p50']:6.1f} ms, p95 {result['p95']:6.1f} ms, p99 "
                f"{result['p99']:6.1f} ms{target}; errors {result['errors']}"
            )
            shares = ", ".join(f"{name} {value:.1f}" for name, value in per_request.items())
            print(f"     CPU ms per request: {shares} (total {sum(per_request.values()):.1f})")
    return ok


# --- one request, profiled -----------------------------------------------------------------


def profile(shop, stripe_base: str, repeat: int = 50) -> None:
    """Profile buy-now in this process through Django's test client: wall time, time in
    the database (every query timed), the queries of one request, then a cProfile run
    for the share of the Stripe call and the functions that cost most."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from catalog.services import VariantInput, product_create

    settings.STRIPE_API_BASE = stripe_base
    settings.ORDERS_RATE_BUY_NOW = "off"  # every request comes from one client
    with tenant_context(shop):
        variant = product_create(
            title="Profiled",
            status="active",
            variants=[VariantInput(sku="PROFILED", price="9.00", stock=1_000_000)],
        ).variants.get()
    client = Client(HTTP_HOST=HOST)
    body = json.dumps(
        {
            "items": [{"variant_id": variant.id, "quantity": 1}],
            "email": "p@example.com",
            "shipping_address": ADDRESS,
        }
    )

    def buy() -> None:
        assert client.post(PATH, body, content_type="application/json").status_code == 201

    buy()  # warm up
    queries: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((time.perf_counter() - started, sql))

    with connection.execute_wrapper(timed):
        started = time.perf_counter()
        for _ in range(repeat):
            buy()
        took = (time.perf_counter() - started) / repeat * 1000
    db_ms = sum(seconds for seconds, _sql in queries) / repeat * 1000

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        buy()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())  # own times add up to the whole
    stripe_share = (
        sum(
            row[3]
            for func, row in stats.stats.items()
            if func[2] == "payment_intent_create" and "stripe_client" in func[0]
        )
        / total
    )
    print(f"\n== one buy-now, profiled in process ({repeat} runs, Stripe stub, test client)")
    print(
        f"{took:.1f} ms per request: database {db_ms:.1f} ms over {len(queries) // repeat} "
        f"queries (round trips included), Stripe call about {stripe_share * took:.1f} ms "
        f"({stripe_share:.0%} under cProfile), the rest (Django, our code, the client) "
        f"{took - db_ms - stripe_share * took:.1f} ms"
    )
    print("queries of one request:")
    for seconds, sql in queries[-(len(queries) // repeat) :]:
        print(f"  {seconds * 1000:5.2f} ms  {sql[:100]}")
    print("functions by cumulative time (cProfile):")
    ours = r"/(orders|catalog|shops|config)/|middleware|stripe/_"
    stats.sort_stats("cumulative").print_stats(ours, 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="localstripe,stub")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rush", type=int, default=200)
    parser.add_argument("--stock", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    if not options.profile and not shutil.which("wrk"):
        raise SystemExit("The buy-now benchmark needs wrk (apt-get install wrk).")

    from config.localstripe import localstripe_server

    with scratch_database("etalage_bench_buy_now"):
        from django.db import connection
        from django_tenants.utils import tenant_context

        from orders.payment_accounts import payment_account_set_keys
        from shops import schema_template
        from shops.services import shop_create

        schema_template.template_ddl()
        shop = shop_create(
            slug="rush",
            name="Rush",
            owner_email="o@example.com",
            owner_password="correct-horse-battery",
        ).shop
        with tenant_context(shop), stripe_stub_server() as (base, _pid):
            payment_account_set_keys(
                secret_key="sk_test_bench",
                publishable_key="pk_test_bench",
                webhook_secret="whsec_bench",
                api_base=base,  # where the key is checked
            )
        if options.profile:
            with stripe_stub_server() as (base, _pid):
                profile(shop, base)
            return
        ok = True
        for mode in options.modes.split(","):
            if mode == "localstripe":
                with localstripe_server() as base:
                    ok &= run_mode(mode, base, child_named("localstripe"), shop, options)
            else:
                with stripe_stub_server() as (base, pid):
                    ok &= run_mode(mode, base, pid, shop, options)
        connection.close()  # the scratch database is dropped next
    sys.stdout.flush()
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
