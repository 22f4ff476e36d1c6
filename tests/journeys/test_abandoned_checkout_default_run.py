"""An abandoned checkout's stock comes back under the default run: ``manage.py rundemo``
(the embedded Redis, a Celery worker and beat, localstripe, runserver) with a short
hold and expiry interval (by environment, as anyone may set them); a shopper starts a
checkout through buy-now and leaves it unpaid; the beat, not a test call, ends it and
the demo product's stock is back, the checkout never becoming an order."""

from __future__ import annotations

import signal
import time

import requests
from django_tenants.utils import tenant_context

from catalog.models import Variant
from orders.models import Order, ShippingRate
from shops.demo.management.commands.seed_demo import DEMO_SLUG
from shops.models import Shop
from tests.orders.conftest import ADDRESS
from tests.orders.test_demo import demo_shop_dropped, rundemo_start  # noqa: F401 (fixture)

HOLD_SECONDS = 4
EXPIRY_INTERVAL_SECONDS = 2


def test_an_abandoned_checkouts_stock_comes_back_under_the_default_run(
    tmp_path,
    django_db_blocker,
    demo_shop_dropped,  # noqa: F811 (the fixture imported above)
):
    # given: the default run, its holds short and its beat expiring them often
    rundemo, port, _, log = rundemo_start(
        tmp_path,
        ORDERS_RESERVATION_SECONDS=str(HOLD_SECONDS),
        ORDERS_EXPIRY_INTERVAL_SECONDS=str(EXPIRY_INTERVAL_SECONDS),
    )
    try:
        with django_db_blocker.unblock():
            shop = Shop.objects.get(slug=DEMO_SLUG)
            with tenant_context(shop):
                variant = Variant.objects.filter(product__slug="harbour-tee").order_by("id")[0]
                available_before = variant.available
                # the demo ships to France (orders.demo.demo_pricing_seed)
                rate = ShippingRate.objects.get(zone__countries__contains=["FR"], price="4.90")

        # when: a shopper starts a checkout of 2 through buy-now, and never pays
        started = time.monotonic()
        answer = requests.post(
            f"http://127.0.0.1:{port}/api/v1/buy-now/",
            json={
                "items": [{"variant_id": variant.id, "quantity": 2}],
                "email": "gone@example.com",
                "shipping_address": ADDRESS,
                "shipping_rate": rate.pk,
            },
            headers={"Host": f"{DEMO_SLUG}.localhost:{port}"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        public_id = answer.json()["order"]["id"]
        with django_db_blocker.unblock(), tenant_context(shop):
            assert Variant.objects.get(id=variant.id).available == available_before - 2
            checkout = Order.objects.get(public_id=public_id)
            assert (checkout.status, checkout.stock_status) == ("pending_payment", "held")

        # then: the beat ends it within a few intervals of its hold, and the stock is back
        deadline = started + HOLD_SECONDS + 30
        with django_db_blocker.unblock(), tenant_context(shop):
            while Order.objects.get(public_id=public_id).stock_status == "held":
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.5)
            checkout = Order.objects.get(public_id=public_id)
            assert (checkout.status, checkout.stock_status, checkout.note) == (
                "cancelled",
                "released",
                "The reservation expired.",
            )
            assert checkout.paid_at is None  # a checkout, never an order
            assert Variant.objects.get(id=variant.id).available == available_before
    finally:
        rundemo.send_signal(signal.SIGTERM)
        rundemo.wait(timeout=60)
