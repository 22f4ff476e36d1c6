"""On a real Celery worker and a mail server on loopback: each marketing email (review
request, poll launch, checkout reminder) goes only to the shopper who confirmed, with
RFC 8058's headers, whose link unsubscribes with one POST; the double opt-in email is
sent by the worker and its link confirms."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.models import Product
from catalog.services import stock_hold
from orders.services import checkout_recovery_set, order_release
from orders.services.merchant import order_fulfil
from reviews.models import PollNotification, PollOption, ReviewRequest
from shops.consent.models import MarketingConsent, MarketingHeld
from shops.consent.services import CHECKBOX_WORDING, consent_request
from shops.queueing import task_queue
from shops.tasks import for_each_shop
from tests.conftest import tasks_sent_to, wait_until, worker_start, worker_stop
from tests.consent.helpers import consent_confirmed
from tests.factories import OrderFactory
from tests.reviews.fake_smtp import FakeSMTP
from tests.reviews.helpers import make_product
from tests.reviews.test_polls import make_poll

YES, NO, NEW = "yes@example.test", "no@example.test", "new@example.test"


def _due_for(email: str, poll_option: PollOption) -> None:
    """A review request due, a launch notification and an abandoned checkout of ``email``."""
    product = make_product("Shirt", slug=f"shirt-{uuid.uuid4().hex[:8]}")
    order = OrderFactory(email=email, lines=[(product.variants.first(), 1)])
    order_fulfil(order=order, tracking_number="T1")
    PollNotification.objects.create(option=poll_option, email=email)
    bag = make_product("Bag", slug=f"bag-{uuid.uuid4().hex[:8]}").variants.first()
    stock_hold(variant=bag, quantity=1)
    checkout = OrderFactory(pending=True, email=email, lines=[(bag, 1)])
    assert order_release(order=checkout, to="cancelled", note="The reservation expired.")


def test_a_real_worker_sends_marketing_only_with_consent_and_one_click_unsubscribes(
    committed_shop, django_db_blocker, tmp_path
):
    # given: an EUR shop (opt-in); YES confirmed, NO never asked; one email of each
    # marketing kind due to both
    shop = committed_shop(f"consent{uuid.uuid4().hex[:6]}").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        checkout_recovery_set(is_enabled=True)
        consent_confirmed(YES)
        launched = make_product("Sage Tee", slug="sage-tee")
        poll = make_poll()
        option = poll.options.first()
        PollOption.objects.filter(pk=option.pk).update(product=launched)
        _due_for(YES, option)
        _due_for(NO, option)
        ReviewRequest.objects.update(due_at=timezone.now() - timedelta(seconds=1))
        Product.objects.filter(pk=launched.pk).update(status=Product.Status.ACTIVE)

    # when: the beat's tasks and the launch run on a real worker, and a new shopper ticks
    # the box (the confirmation email is the worker's too)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with FakeSMTP() as smtp:
        worker = worker_start(
            queue=queue,
            media_root=tmp_path,
            env={
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(smtp.port),
                "EMAIL_USE_TLS": "0",
                "ORDERS_RECOVERY_EMAIL_DELAY_SECONDS": "0",
            },
        )
        try:
            with tasks_sent_to(queue), django_db_blocker.unblock():
                for_each_shop.delay("reviews.review_requests_send_due")
                for_each_shop.delay("orders.emails_sweep")
                with tenant_context(shop):
                    task_queue("reviews.poll_launch_notify", poll.pk)
                    consent_request(email=NEW, source="checkout", wording=CHECKBOX_WORDING)

                def done() -> bool:
                    with tenant_context(shop):
                        held = MarketingHeld.objects.count()
                    return len(smtp.received) >= 4 and held >= 3

                finished = wait_until(done, django_db_blocker, 90)
        finally:
            worker_stop(worker)

    # then: three marketing emails to YES, each with the one-click headers; none to NO
    assert finished, f"the worker sent {len(smtp.received)} emails"
    recipients = sorted(to[0] for to, _message in smtp.received)
    assert recipients == [NEW, YES, YES, YES]
    with django_db_blocker.unblock(), tenant_context(shop):
        held = dict(MarketingHeld.objects.values_list("kind", "count"))
    assert held == {"review_request": 1, "poll_launch": 1, "checkout_reminder": 1}
    marketing = [message for to, message in smtp.received if to == [YES]]
    assert sorted(message["Subject"] for message in marketing) == [
        f"How do you like your order from {shop.name}?",
        "Sage is here",
        f"Your bag at {shop.name} is waiting for you",
    ]
    for message in marketing:
        link = re.fullmatch(r"\s*<(http://[^>\s]+)>\s*", str(message["List-Unsubscribe"])).group(1)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = message.get_body(("plain",)).get_content()
        assert "/email/unsubscribe/" in text
    # the mail client's one-click POST: no cookie, no CSRF token
    address = urlsplit(link)
    assert address.hostname == f"{shop.slug}.localhost"  # the shop's own host
    client = Client(HTTP_HOST=address.hostname, enforce_csrf_checks=True)
    with django_db_blocker.unblock():
        answer = client.post(
            address.path,
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        [(_to, confirmation)] = [(to, m) for to, m in smtp.received if to == [NEW]]
        confirm = re.search(r"(/email/confirm/\S+/)", confirmation.get_content()).group(1)
        confirmed = client.post(confirm)
        with tenant_context(shop):
            statuses = dict(MarketingConsent.objects.values_list("email", "status"))
    assert (answer.status_code, confirmed.status_code) == (200, 200)
    assert statuses == {YES: "withdrawn", NEW: "confirmed"}
