"""Rate limits are counted once for every process: four gunicorn workers, one limit.

Each worker is a process of its own, so a limit kept in a process's memory would let
four times the rate through (the finding: 300 buy-now calls on 4 workers → no 429
against 120/m). The counters live in the shared Redis (the embedded one by default).
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django_tenants.utils import tenant_context

from config.child_processes import free_port
from config.database_url import database_url_of
from shops.api.services import api_key_create
from tests.conftest import PROJECT_ROOT, clear_of_window_end

WORKERS = 4


def _request(port: int, host: str, method: str, path: str, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = b"{}" if method == "POST" else None
        conn.request(
            method,
            path,
            body=body,
            headers={"Host": host, "Content-Type": "application/json", **headers},
        )
        return conn.getresponse().status
    finally:
        conn.close()


def _serves(port: int) -> bool:
    try:
        return _request(port, "localhost", "GET", "/", {}) < 500
    except OSError:
        return False


@pytest.fixture
def gunicorn(committed_shop, tmp_path):
    """gunicorn with four workers on the test database and the session's Redis; yields
    (port, shop)."""
    shop = committed_shop("ratelimited").shop
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of(),
        "ORDERS_RATE_BUY_NOW": "20/m",
        "API_THROTTLE_RATE": "20/minute",
        "MEDIA_ROOT": str(tmp_path),
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
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
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not _serves(port):
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield port, shop
    finally:
        server.terminate()
        server.wait(timeout=20)


def _burst(port: int, host: str, method: str, path: str, headers: dict[str, str]) -> Counter:
    clear_of_window_end(60)
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = pool.map(lambda _: _request(port, host, method, path, headers), range(60))
        return Counter(statuses)


def test_buy_now_limit_holds_across_four_workers(gunicorn):
    # given: four workers, buy-now limited to 20 calls a minute per address
    port, shop = gunicorn
    # when: one address calls it 60 times at once (an empty body: 400 when let through)
    statuses = _burst(port, f"{shop.slug}.localhost", "POST", "/api/v1/buy-now/", {})
    # then: exactly 20 got through, whichever worker answered them
    assert statuses[429] == 40, statuses
    assert statuses[400] == 20, statuses


def test_api_key_limit_holds_across_four_workers(gunicorn, django_db_blocker):
    port, shop = gunicorn
    with django_db_blocker.unblock(), tenant_context(shop):
        secret = api_key_create(name="partner", scopes=["catalog:read"]).secret
    statuses = _burst(
        port,
        f"{shop.slug}.localhost",
        "GET",
        "/api/v1/products/",
        {"Authorization": f"Bearer {secret}"},
    )
    assert statuses[429] == 40, statuses
    assert statuses[200] == 20, statuses
