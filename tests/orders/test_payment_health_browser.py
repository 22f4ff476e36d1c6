"""The wrong-webhook-secret story end to end: localstripe delivers the event to the live
server signed with the endpoint's secret, the shop refuses it (400) and counts it, a real
Celery worker's beat task settles the paid order, and the owner reads what happened and
what to do on the Payment accounts page in Chromium at 390 px. Screenshots go to
/tmp/shots-payhealth/ (or ETALAGE_SHOTS)."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from django_tenants.utils import tenant_context

from catalog.models import Variant
from config.localstripe import localstripe_webhook
from orders.models import Order, OrderEmail, PaymentHealth
from orders.payment_accounts import payment_account_set_keys
from shops.tasks import for_each_shop
from tests.catalog.test_admin_browser import log_in
from tests.conftest import tasks_sent_to, worker_start, worker_stop
from tests.orders.conftest import buy, card_token, make_variant, pay, shopper
from tests.orders.test_order_page_browser import fits_the_width

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_SHOTS") or Path(tempfile.gettempdir(), "shots-payhealth"))


def wait_until(condition: Callable[[], object], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still not: {what}"
        time.sleep(0.2)


def test_a_wrong_webhook_secret_is_refused_counted_settled_by_the_worker_and_shown(
    page, committed_shop, django_db_blocker, shop_server, stripe_settings, localstripe, tmp_path
):
    slug = "healthkiosk"
    shop = committed_shop(slug, "Health Kiosk").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        payment_account_set_keys(
            secret_key=f"sk_test_{slug}",
            publishable_key=f"pk_test_{slug}",
            webhook_secret="whsec_stale_copy",
        )
        variant = make_variant(stock=5)
    localstripe_webhook(
        localstripe,
        name="payhealth",
        url=f"http://localhost:{shop_server}/webhooks/stripe/",
        secret="whsec_the_endpoints",
    )
    queue = "test-payhealth"
    worker = worker_start(
        queue=queue,
        media_root=tmp_path,
        env={"PAYMENTS_SETTLE_AFTER_SECONDS": "0", "STRIPE_API_BASE": localstripe},
    )
    try:
        with django_db_blocker.unblock():
            # given: a shopper pays at Stripe; its event reaches the shop and is refused
            answer = buy(
                shopper(slug),
                {
                    "items": [{"variant_id": variant.id, "quantity": 2}],
                    "email": "shopper@example.com",
                },
            ).json()
            token = card_token(localstripe, key=f"pk_test_{slug}")
            assert pay(shopper(slug), answer, token).status_code == 200

            def health() -> PaymentHealth:
                with tenant_context(shop):
                    return PaymentHealth.objects.filter(id=1).first() or PaymentHealth()

            wait_until(lambda: health().bad_signature_count >= 1, "a bad signature counted")
            with tenant_context(shop):
                order = Order.objects.get(public_id=answer["order"]["id"])
            assert (order.status, order.stock_status) == ("pending_payment", "held")

            # when: the beat's task runs on a real worker
            with tasks_sent_to(queue):
                for_each_shop.delay("orders.payments_settle_held")

            def settled() -> bool:
                with tenant_context(shop):
                    order.refresh_from_db()
                    return order.status == "paid" and health().owner_told_broken

            wait_until(settled, "the order paid and the owner told")
            with tenant_context(shop):
                assert order.stock_status == "committed"
                assert Variant.objects.get(id=variant.id).stock == 3
                wait_until(
                    lambda: (
                        OrderEmail.objects.filter(order=order, sent_at__isnull=False).count() == 1
                    ),
                    "the confirmation sent",
                )
    finally:
        worker_stop(worker)
        requests.post(
            f"{localstripe}/_config/webhooks/payhealth",
            timeout=5,
            json={"url": "http://127.0.0.1:9/", "secret": "whsec_off", "events": []},
        )

    # then: the owner sees it on a phone, with what to do
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 390, "height": 844})
    base = f"http://{slug}.localhost:{shop_server}"
    log_in(page, base, slug)
    page.goto(f"{base}/admin/orders/paymentaccount/")
    panel = page.get_by_role("region", name="Payment health: needs your attention")
    assert panel.is_visible()
    assert (
        panel.get_by_role("alert")
        .get_by_text("The webhook secret in Payments does not match the endpoint's")
        .is_visible()
    )
    assert panel.get_by_text(f"the last: order {order.number}").is_visible()
    assert fits_the_width(page)
    page.screenshot(path=SHOTS / "payment-health-390.png", full_page=True)
    page.goto(f"{base}/admin/orders/order/")
    assert page.get_by_text("Payments: 1 webhook request(s)").is_visible()
    assert fits_the_width(page)
    page.screenshot(path=SHOTS / "orders-banner-390.png", full_page=True)
