"""Insights at scale: beacon ingest through gunicorn, and the 90-day queries on rollups.

In a scratch database, one shop gets ``--events`` raw events (default 1 M; ``--events
10000000`` for the 10 M figure) spread over the last 90 days, written straight into the
day partitions with ``INSERT … SELECT … FROM generate_series`` (setting the stage, not
what is measured): page views from 20 sources over 6 channels, product views of 500
products, post impressions and tag clicks of 50 posts, votes of 10 polls, bag adds,
started checkouts and paid orders with their product lines, by a pool of visitors a fifth
the number of events. Then it prints:

- the worker's first rollup of all of it, and an incremental one (the beat's minute);
- the median time (of 7) of each selector over the 90 days: summary (with the period
  before), funnel, the daily sales series, and each breakdown (first page of 20);
- the ingest rate: ``--seconds`` of beacons (5 events each) from ``--clients`` threads
  to ``POST /insights/events/`` on gunicorn (``--workers`` sync workers), in beacons/s
  and events/s, with the rate limit lifted (``INSIGHTS_BEACON_RATE=off``).

No timed assertion: it prints figures (the target is under 200 ms per query at 10 M).

    .venv/bin/python bench/insights.py [--events 1000000] [--seconds 10] [--workers 4]
    (or: make bench-insights BENCH_ARGS="--events 10000000")
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

os.environ["INSIGHTS_BEACON_RATE"] = "off"  # measure, don't throttle

from buy_now import children, cpu_seconds
from scratch import scratch_database
from shop_page import gunicorn_serving

HOST = "bench.localhost"
DAYS = 90
CHUNK = 1_000_000

# kind (shops.insights.models.Kind) by share of the events, in thousandths
MIX = [
    (1, 450),  # page views
    (2, 250),  # product views
    (3, 150),  # post impressions
    (4, 40),  # tag clicks
    (5, 50),  # bag adds
    (6, 25),  # checkouts started
    (10, 15),  # votes
    (7, 10),  # paid
    (8, 10),  # product lines sold
]
SOURCES = (
    [
        ("instagram", "meta"),
        ("facebook.com", "meta"),
        ("l.instagram.com", "meta"),
        ("pinterest.com", "pinterest"),
        ("tiktok", "tiktok"),
        ("google.com", "google"),
        ("google", "google"),
        ("direct", "direct"),
        ("direct", "direct"),
        ("direct", "direct"),
    ]
    + [(f"blog{n}.example", "embed") for n in range(5)]
    + [(f"site{n}.example", "other") for n in range(5)]
)


def generate(events: int) -> float:
    """Write ``events`` raw events over the last DAYS days; the seconds it took."""
    from django.db import connection

    from shops.insights.services import partitions_ensure

    today = datetime.now(UTC).date()
    partitions_ensure(today=today - timedelta(days=DAYS), days_ahead=DAYS + 1)
    kinds_case = (
        "CASE "
        + " ".join(
            f"WHEN r < {sum(share for _, share in MIX[: i + 1])} THEN {kind}"
            for i, (kind, _) in enumerate(MIX)
        )
        + " ELSE 1 END"
    )
    sources = "(ARRAY[" + ",".join(f"'{s}'" for s, _ in SOURCES) + "])"
    channels = "(ARRAY[" + ",".join(f"'{c}'" for _, c in SOURCES) + "])"
    started = time.perf_counter()
    written = 0
    while written < events:
        size = min(CHUNK, events - written)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO insights_event
                    (occurred_at, kind, visitor, page, source, channel, embed_site,
                     post_id, poll_id, product_id, order_id, value_minor)
                SELECT occurred_at, kind, visitor,
                       CASE WHEN kind = 1
                            THEN (ARRAY['shop','product','post','poll','embed'])[1 + s %% 5]
                            ELSE '' END,
                       {sources}[1 + s %% {len(SOURCES)}],
                       {channels}[1 + s %% {len(SOURCES)}],
                       CASE WHEN s %% {len(SOURCES)} BETWEEN 10 AND 14
                            THEN {sources}[1 + s %% {len(SOURCES)}] ELSE '' END,
                       CASE WHEN kind IN (3, 4) THEN 1 + g %% 50 END,
                       CASE WHEN kind = 10 THEN 1 + g %% 10 END,
                       CASE WHEN kind IN (2, 5, 8) THEN 1 + g %% 500 END,
                       CASE WHEN kind IN (7, 8) THEN g END,
                       CASE WHEN kind IN (7, 8) THEN 1000 + g %% 9000 ELSE 0 END
                  FROM (
                    SELECT g, (g * 7919) %% 1000 AS r, (g / 13) %% 997 AS s,
                           now() - (random() * interval '{DAYS} days') AS occurred_at,
                           (hashint8(g %% %s))::bigint AS visitor
                      FROM generate_series(%s::bigint, %s::bigint) AS g
                  ) raw, LATERAL (SELECT {kinds_case} AS kind) k
                """,  # noqa: S608 (constants of this script)
                [max(events // 5, 1), written + 1, written + size],
            )
        written += size
        print(f"  {written:,} events written", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE insights_event")
    return time.perf_counter() - started


def timed(function, *args, runs: int = 7) -> float:
    """Median milliseconds of ``runs`` calls (after one warm-up)."""
    function(*args)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function(*args)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def queries() -> list[tuple[str, float]]:
    from shops.insights import selectors

    end = datetime.now(UTC).date()
    start = end - timedelta(days=DAYS - 1)
    results = [
        ("summary (and the 90 days before)", timed(selectors.insights_summary, start, end)),
        ("funnel", timed(selectors.insights_funnel, start, end)),
        ("series: sales per day", timed(selectors.insights_series, start, end, "sales")),
        ("series: conversion per day", timed(selectors.insights_series, start, end, "conversion")),
    ]
    for by in selectors.BREAKDOWNS:
        results.append((f"breakdown by {by}", timed(selectors.insights_table, start, end, by, 20)))
    return results


BEACON = json.dumps(
    {
        "events": [
            {"kind": "page_view", "page": "product", "product": 7},
            {"kind": "product_view", "product": 7},
            {"kind": "post_impression", "post": 3},
            {"kind": "tag_click", "post": 3},
            {"kind": "bag_add", "product": 7},
        ],
        "referrer": "https://l.instagram.com/",
        "url": "https://bench.localhost/products/seven/?utm_source=instagram",
    }
).encode()
EVENTS_PER_BEACON = 5


def ingest(port: int, seconds: int, clients: int) -> tuple[int, list[float]]:
    """Beacons sent for ``seconds`` by ``clients`` keep-alive connections: (count, times)."""
    timings: list[float] = []
    failures: list[int] = []
    deadline = time.monotonic() + seconds

    def run(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {
            "Host": HOST,
            "Content-Type": "text/plain;charset=UTF-8",
            "User-Agent": f"Mozilla/5.0 (X11; Linux x86_64) Chrome/120.{index} Safari/537.36",
        }
        while time.monotonic() < deadline:
            started = time.perf_counter()
            connection.request("POST", "/insights/events/", body=BEACON, headers=headers)
            response = connection.getresponse()
            response.read()
            timings.append(time.perf_counter() - started)
            if response.status != 204:
                failures.append(response.status)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} beacons failed, e.g. HTTP {failures[0]}")
    return len(timings), timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--skip-ingest", action="store_true")
    options = parser.parse_args()

    with scratch_database("etalage_bench_insights"):
        from django.db import connection
        from django_tenants.utils import tenant_context

        from shops import schema_template
        from shops.insights.models import HourlyRollup
        from shops.insights.services import rollup_run
        from shops.services import shop_create

        schema_template.template_ddl()
        shop = shop_create(
            slug="bench",
            name="Bench",
            owner_email="o@example.com",
            owner_password="correct-horse-battery",
        ).shop
        with tenant_context(shop):
            print(f"writing {options.events:,} events over {DAYS} days …", flush=True)
            seconds = generate(options.events)
            print(f"written in {seconds:.1f} s ({options.events / seconds:,.0f} rows/s)")
            started = time.perf_counter()
            rollup_run()
            first = time.perf_counter() - started
            rows = HourlyRollup.objects.count()
            started = time.perf_counter()
            rollup_run()
            incremental = time.perf_counter() - started
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE insights_hourlyrollup; ANALYZE insights_dailyrollup")
            print(
                f"rollup: first run {first:.1f} s ({rows:,} hourly rows), "
                f"incremental run {incremental * 1000:.0f} ms"
            )
            print(f"90-day queries at {options.events:,} events (median of 7):")
            for label, milliseconds in queries():
                print(f"  {label:<36} {milliseconds:7.1f} ms")

        if options.skip_ingest:
            return
        with gunicorn_serving(options.workers) as (server, port):
            ingest(port, 2, options.clients)  # warm every worker up
            workers = children(server.pid)
            cpu_before = sum(cpu_seconds(pid) for pid in workers)
            count, timings = ingest(port, options.seconds, options.clients)
            cpu_used = sum(cpu_seconds(pid) for pid in workers) - cpu_before
    cuts = statistics.quantiles(timings, n=100)
    rate = count / options.seconds
    print(
        f"ingest: POST /insights/events/ ({EVENTS_PER_BEACON} events a beacon), gunicorn "
        f"{options.workers} sync workers, {options.clients} clients, {options.seconds} s"
    )
    print(
        f"  {rate:,.0f} beacons/s = {rate * EVENTS_PER_BEACON:,.0f} events/s; latency p50 "
        f"{cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms; workers' CPU "
        f"{cpu_used * 1000 / max(count, 1):.2f} ms a beacon ({os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
