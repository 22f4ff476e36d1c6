"""The demo's payments (``make run`` → ``manage.py rundemo``): against a real localstripe,
the wiring leaves the demo shop able to sell, touches no other shop, and never replaces
a Stripe connection made by hand; and ``rundemo`` killed outright leaves no server behind."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import tenant_context

from catalog.models import Variant
from config.database_url import database_url_of
from config.localstripe import free_port
from orders.demo import (
    DEMO_SECRET_KEY,
    DEMO_WEBHOOK_SECRET,
    demo_payments_local,
    demo_payments_owner,
)
from orders.models import Order, ShippingRate
from orders.payment_accounts import shop_payments
from shops.demo.management.commands.rundemo import _port_check
from shops.demo.management.commands.seed_demo import DEMO_SLUG
from shops.models import Shop
from tests.conftest import PROJECT_ROOT
from tests.orders.conftest import ADDRESS, buy, make_variant, shop_sells, shopper
from tests.orders.test_localstripe import _is_running
from tests.orders.test_not_selling import CLOSED, page


def _webhook_off(base: str) -> None:
    """Later tests' payments are no business of the demo's webhook address."""
    requests.post(
        f"{base}/_config/webhooks/etalage-demo",
        json={"url": "http://127.0.0.1:9/", "secret": "whsec_off", "events": []},
        timeout=5,
    ).raise_for_status()


def test_the_demo_wiring_lets_the_shop_sell_through_localstripe(
    shop_a, shop_b, stripe_settings, localstripe
):
    with tenant_context(shop_a):
        variant = make_variant()
    with tenant_context(shop_b):
        make_variant()
    assert demo_payments_owner(shop_a) == ""  # no connection yet: the demo may set it

    try:
        demo_payments_local(
            shop_a, stripe_base=localstripe, webhook_url="http://localhost:9/webhooks/stripe/"
        )
    finally:
        _webhook_off(localstripe)

    alpha = page("/products/canvas-tote/", "alpha")
    assert 'class="button buy-now"' in alpha and CLOSED not in alpha
    response = buy(
        shopper(), {"items": [{"variant_id": variant.id, "quantity": 1}], "email": "a@b.example"}
    )
    assert response.status_code == 201, response.content
    intent_id = response.json()["payment"]["client_secret"].split("_secret_")[0]
    intent = requests.get(
        f"{localstripe}/v1/payment_intents/{intent_id}", auth=(DEMO_SECRET_KEY, ""), timeout=5
    ).json()
    assert (intent["amount"], intent["metadata"]["shop"]) == (2400, shop_a.schema_name)
    with tenant_context(shop_a):
        assert shop_payments().webhook_secret == DEMO_WEBHOOK_SECRET
        assert Order.objects.get().status == Order.Status.PENDING_PAYMENT
    assert demo_payments_owner(shop_a) == ""  # the next run may set it again

    beta = page("/products/canvas-tote/", "beta")  # the other shop still cannot sell
    assert CLOSED in beta and 'class="button buy-now"' not in beta


def test_a_connection_made_by_hand_is_not_the_demos_to_replace(shop_b, stripe_settings):
    with tenant_context(shop_b):
        shop_sells("beta")

    assert "has a Stripe connection of its own" in demo_payments_owner(shop_b)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, theirs, ...), read from /proc; a thread or
    process that ends while it is read is passed over (the callers poll again)."""
    found = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found += [int(child), *_descendants(int(child))]
    return found


def _count_by_command(pid: int, expected: dict[str, int]) -> dict[str, int]:
    """How many of ``pid``'s descendants run each command in ``expected``."""
    counts = dict.fromkeys(expected, 0)
    for child in _descendants(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        for name in counts:
            if name in command:
                counts[name] += 1
    return counts


def _until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def _serves(port: int) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}/", timeout=2)
    except requests.ConnectionError:
        return False
    return True


def _port_is_free(port: int) -> bool:
    try:
        _port_check(port)  # what the next ``make run`` asks first
    except CommandError:
        return False
    return True


def rundemo_start(tmp_path: Path, **env: str) -> tuple[subprocess.Popen, int, int, Path]:
    """``manage.py rundemo`` as ``make run`` starts it (the embedded Redis on a port of
    its own, whatever the test session uses), on the test database; returns the
    process, the web and broker ports and its log, once it serves or has stopped."""
    port, broker_port = free_port(), free_port()
    environment = {
        **{
            key: value
            for key, value in os.environ.items()
            if not key.startswith("STRIPE_") and key not in ("REDIS_URL", "CELERY_BROKER_URL")
        },
        "EMBEDDED_REDIS_PORT": str(broker_port),
        "RUN_WORKER_CONCURRENCY": "2",
        "DATABASE_URL": database_url_of(),
        "DEBUG": "true",
        "ETALAGE_DATA_DIR": str(tmp_path / "data"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        **env,
    }
    log = tmp_path / "rundemo.log"
    with log.open("w") as output:  # a file: a pipe could fill up, or outlive rundemo
        rundemo = subprocess.Popen(
            [sys.executable, "manage.py", "rundemo", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    assert _until(lambda: _serves(port) or rundemo.poll() is not None, 120)
    assert rundemo.poll() is None, log.read_text()
    return rundemo, port, broker_port, log


@pytest.fixture(scope="module")
def demo_shop_dropped(django_db_setup, django_db_blocker) -> Iterator[None]:
    """``rundemo`` commits a demo shop in the test database (seeded once, brought up to
    date by the next runs): dropped after the module."""
    yield
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for shop in Shop.objects.filter(slug=DEMO_SLUG):
            shop.delete(force_drop=True)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads children from /proc")
@pytest.mark.parametrize(
    ("stop", "exit_code"),
    [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGINT, 0), (signal.SIGTERM, 128 + signal.SIGTERM)],
    ids=["sigkill", "ctrl-c", "sigterm"],
)
def test_rundemo_stopped_by_any_signal_leaves_no_server_behind(
    tmp_path, demo_shop_dropped, stop, exit_code
):
    # given: rundemo serving, with its embedded Redis, worker (and its pool), beat,
    # localstripe, and runserver's autoreloader child
    rundemo, port, broker_port, log = rundemo_start(tmp_path)
    tree: list[int] = []
    try:
        expected = {
            "redis-server": 1,
            "localstripe": 1,
            "celery -A config --quiet worker": 3,
            "celery -A config --quiet beat": 1,
            "runserver": 2,
        }
        assert _until(lambda: _count_by_command(rundemo.pid, expected) == expected, 60), (
            _count_by_command(rundemo.pid, expected)
        )
        tree = _descendants(rundemo.pid)

        # when: rundemo is stopped: Ctrl-C (SIGINT: runserver, in a session of its own,
        # does not get the terminal's), SIGTERM, or SIGKILL (no finally, no handler)
        rundemo.send_signal(stop)

        # then: rundemo exits as it should, the whole tree is gone (a worker's warm
        # shutdown takes a few seconds, longer on a loaded machine) and the port is free
        assert rundemo.wait(timeout=20) == exit_code, log.read_text()

        assert _until(lambda: not any(map(_is_running, tree)), 30), [
            pid for pid in tree if _is_running(pid)
        ]
        assert not _serves(port)
        assert _port_is_free(port)
        assert _port_is_free(broker_port)
    finally:  # a failure leaves nothing running behind
        for pid in [rundemo.pid, *tree]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        rundemo.wait(timeout=5)


def test_under_make_run_an_unpaid_checkout_gives_its_stock_back_by_itself(
    tmp_path, demo_shop_dropped, django_db_blocker
):
    # given: the default run (its own broker, worker and beat), reservations of 2 s
    rundemo, port, _, log = rundemo_start(
        tmp_path, ORDERS_RESERVATION_SECONDS="2", ORDERS_EXPIRY_INTERVAL_SECONDS="1"
    )
    try:
        with django_db_blocker.unblock():
            shop = Shop.objects.get(slug=DEMO_SLUG)
            with tenant_context(shop):
                variant = Variant.objects.filter(
                    stock__gte=2, product__status="active", product__requires_shipping=True
                ).first()
                stock = variant.available
                # the demo ships to France (orders.demo.demo_pricing_seed)
                rate = ShippingRate.objects.get(zone__countries__contains=["FR"], price="4.90")

        # when: a shopper starts a checkout and never pays
        answer = requests.post(
            f"http://127.0.0.1:{port}/api/v1/buy-now/",
            json={
                "items": [{"variant_id": variant.pk, "quantity": 1}],
                "email": "a@b.example",
                "shipping_address": ADDRESS,
                "shipping_rate": rate.pk,
            },
            headers={"Host": f"{DEMO_SLUG}.localhost:{port}"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text

        # then: the unit is held, and comes back once the hold expires, with nobody
        # but the beat and the worker doing anything
        def stock_now() -> int:
            with django_db_blocker.unblock(), tenant_context(shop):
                return Variant.objects.get(pk=variant.pk).available

        assert stock_now() == stock - 1
        assert _until(lambda: stock_now() == stock, 90), log.read_text()[-3000:]
        with django_db_blocker.unblock(), tenant_context(shop):
            order = Order.objects.get(public_id=answer.json()["order"]["id"])
            assert order.status == Order.Status.CANCELLED
    finally:
        rundemo.send_signal(signal.SIGTERM)
        rundemo.wait(timeout=30)


def test_a_broker_port_in_use_is_one_clear_line(tmp_path):
    # given: something already listens on the embedded broker's port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        broker_port = taken.getsockname()[1]
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")},
            "EMBEDDED_REDIS_PORT": str(broker_port),
            "DATABASE_URL": database_url_of(),
            "ETALAGE_DATA_DIR": str(tmp_path / "data"),
        }

        # when: make run starts
        result = subprocess.run(
            [sys.executable, "manage.py", "rundemo", "--port", str(free_port())],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    # then: it stops at once with one line saying what to change, and no traceback
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"CommandError: port {broker_port} of the embedded broker is in use; pick another: "
        f"EMBEDDED_REDIS_PORT={broker_port + 1}, or set CELERY_BROKER_URL and REDIS_URL"
    ]
