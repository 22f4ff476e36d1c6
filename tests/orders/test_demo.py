"""The demo's payments (``make run`` → ``manage.py rundemo``): against a real localstripe,
the wiring leaves the demo shop able to sell, touches no other shop, and never replaces
a Stripe connection made by hand; and ``rundemo`` killed outright leaves no server behind."""

import contextlib
import os
import signal
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

from config.database_url import database_url_of
from orders.demo import (
    DEMO_SECRET_KEY,
    DEMO_WEBHOOK_SECRET,
    demo_payments_local,
    demo_payments_owner,
)
from orders.localstripe import free_port
from orders.models import Order
from orders.payment_accounts import shop_payments
from shops.management.commands.rundemo import _port_check
from shops.management.commands.seed_demo import DEMO_SLUG
from shops.models import Shop
from tests.conftest import PROJECT_ROOT
from tests.orders.conftest import buy, make_variant, shop_sells, shopper
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


def test_a_connection_made_by_hand_is_not_the_demos_to_replace(shop_b):
    with tenant_context(shop_b):
        shop_sells("beta")

    assert "has a Stripe connection of its own" in demo_payments_owner(shop_b)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, theirs, ...), read from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_descendants(int(child))]
    return found


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
    # given: rundemo serving, with its localstripe and runserver's autoreloader child
    port = free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("STRIPE_")},
        "DATABASE_URL": database_url_of(),
        "DEBUG": "true",
        "ETALAGE_DATA_DIR": str(tmp_path / "data"),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    log = tmp_path / "rundemo.log"
    with log.open("w") as output:  # a file: a pipe could fill up, or outlive rundemo
        rundemo = subprocess.Popen(
            [sys.executable, "manage.py", "rundemo", "--port", str(port)],
            cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    tree: list[int] = []
    try:
        assert _until(lambda: _serves(port) or rundemo.poll() is not None, 120)
        assert rundemo.poll() is None, log.read_text()
        tree = _descendants(rundemo.pid)
        assert len(tree) == 3, tree  # localstripe, runserver, runserver's serving child

        # when: rundemo is stopped: Ctrl-C (SIGINT: runserver, in a session of its own,
        # does not get the terminal's), SIGTERM, or SIGKILL (no finally, no handler)
        rundemo.send_signal(stop)

        # then: rundemo exits as it should, the whole tree is gone within a few seconds
        # and the port is free
        assert rundemo.wait(timeout=20) == exit_code, log.read_text()

        assert _until(lambda: not any(map(_is_running, tree)), 10), [
            pid for pid in tree if _is_running(pid)
        ]
        assert not _serves(port)
        assert _port_is_free(port)
    finally:  # a failure leaves nothing running behind
        for pid in [rundemo.pid, *tree]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        rundemo.wait(timeout=5)
