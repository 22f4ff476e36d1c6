"""Checkouts are not orders: a checkout never paid is listed under Abandoned checkouts
(admin) and kept out of the Orders list and the partner API's default list; its hold
ending gives back its stock and its discount code use at once; and the checkout
reminder the merchant may turn on goes once, never when off, never after payment."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.models import Variant
from catalog.services import stock_hold
from orders.links import recovery_opt_out_path
from orders.models import (
    CheckoutRecovery,
    Discount,
    DiscountRedemption,
    Order,
    OrderActivity,
    OrderEmail,
    RecoveryOptOut,
)
from orders.services import (
    checkout_recovery_set,
    discount_create,
    discount_redeem,
    order_emails_sweep,
    order_release,
    reservations_expire,
)
from shops.consent.models import MarketingConsent
from shops.tasks import for_each_shop
from tests.conftest import owner_client, tasks_sent_to, worker_start, worker_stop
from tests.consent.helpers import consent_confirmed
from tests.factories import OrderFactory
from tests.orders.conftest import make_variant, paid_order
from tests.orders.test_admin import place

CHECKOUTS = "/admin/orders/abandonedcheckout/"
ORDERS = "/admin/orders/order/"


def checkout_of(shop, answer: dict) -> Order:
    with tenant_context(shop):
        return Order.objects.get(public_id=answer["order"]["id"])


def expire(shop) -> int:
    """The beat's expiry, run as if the holds had all run out."""
    with tenant_context(shop):
        return reservations_expire(now=timezone.now() + timedelta(days=1))


# --- Listed apart ------------------------------------------------------------------------


def test_an_unpaid_checkout_is_listed_under_abandoned_checkouts_not_orders(
    shop_a, selling_a, localstripe
):
    # given: one checkout left at payment, one paid
    checkout = checkout_of(shop_a, place(selling_a, 2))
    paid = paid_order(shop_a, "alpha", [(selling_a, 1)], localstripe)
    client = owner_client()

    # when: the merchant opens Orders and Abandoned checkouts
    orders = client.get(ORDERS).content.decode()
    checkouts = client.get(CHECKOUTS).content.decode()

    # then: each is in its own list only
    assert paid.number in orders
    assert checkout.number not in orders
    assert "1 order" in orders  # the count the admin shows
    assert checkout.number in checkouts
    assert paid.number not in checkouts
    assert "shopper@example.com" in checkouts
    assert "2 × Canvas Tote" in checkouts  # noqa: RUF001 (times)
    assert "€48.00" in checkouts
    assert '<td class="field-state">Paying now</td>' in checkouts
    assert '<td class="field-reminder">Not sent</td>' in checkouts
    assert "Checkout reminders: off" in checkouts


def test_an_expired_checkout_is_listed_as_left_unpaid(shop_a, selling_a):
    expired = checkout_of(shop_a, place(selling_a, 1))
    with tenant_context(shop_a):
        Order.objects.filter(id=expired.id).update(reserved_until=timezone.now() - timedelta(1))
    held = checkout_of(shop_a, place(selling_a, 2))
    with tenant_context(shop_a):
        reservations_expire()

    listed = owner_client().get(CHECKOUTS, {"state": "left"}).content.decode()

    assert expired.number in listed
    assert held.number not in listed
    assert '<td class="field-state">Left unpaid</td>' in listed


def test_an_unpaid_checkout_has_a_checkout_page_not_an_order_page(shop_a, selling_a):
    checkout = checkout_of(shop_a, place(selling_a, 2))
    client = owner_client()

    order_page = client.get(f"{ORDERS}{checkout.id}/change/")
    checkout_page = client.get(f"{CHECKOUTS}{checkout.id}/change/")

    assert order_page.status_code == 302
    assert order_page["Location"] == f"{CHECKOUTS}{checkout.id}/change/"
    assert checkout_page.status_code == 200
    page = checkout_page.content.decode()
    assert f"Checkout {checkout.number}" in page
    assert "Canvas Tote" in page
    assert "shopper@example.com" in page
    assert f'action="{ORDERS}{checkout.id}/cancel/"' in page
    assert 'name="_save"' not in page  # read only
    assert client.get(f"{CHECKOUTS}not-a-number/change/").status_code == 302


def test_once_paid_a_checkout_is_an_order_only(shop_a, selling_a, localstripe):
    paid = paid_order(shop_a, "alpha", [(selling_a, 1)], localstripe)

    checkouts = owner_client().get(CHECKOUTS).content.decode()
    order_page = owner_client().get(f"{ORDERS}{paid.id}/change/")

    assert paid.number not in checkouts
    assert "0 abandoned checkouts" in checkouts
    assert order_page.status_code == 200
    assert f"Order {paid.number}" in order_page.content.decode()


def test_abandoned_checkouts_list_costs_the_same_queries_for_more_checkouts(
    shop_a, selling_a, django_assert_max_num_queries
):
    with tenant_context(shop_a):
        OrderFactory(pending=True, lines=[(selling_a, 1)])
    client = owner_client()
    with django_assert_max_num_queries(25) as few:
        client.get(CHECKOUTS)
    few_queries = len(few.captured_queries)
    with tenant_context(shop_a):
        mug = make_variant(sku="MUG", title="Mug")
        for _ in range(8):
            OrderFactory(pending=True, lines=[(selling_a, 1), (mug, 2)])

    with django_assert_max_num_queries(few_queries):
        page = client.get(CHECKOUTS).content.decode()

    assert page.count('class="field-checkout"') == 9
    assert page.count("2 × Mug") == 8  # noqa: RUF001 (every checkout's lines, one query)


def test_shop_b_admin_sees_none_of_shop_a_abandoned_checkouts(shop_a, shop_b, selling_a):
    checkout = checkout_of(shop_a, place(selling_a))

    page_b = owner_client("beta").get(CHECKOUTS).content.decode()
    checkout_page_b = owner_client("beta").get(f"{CHECKOUTS}{checkout.id}/change/")

    assert checkout.number not in page_b
    assert "0 abandoned checkouts" in page_b
    assert checkout_page_b.status_code == 302  # Django's "does not exist" back to the index
    assert checkout.number in owner_client().get(CHECKOUTS).content.decode()


# --- The hold ends: stock and discount code use back, together ----------------------------


def _code_redeemed_by(shop, checkout: Order, *, limit: int = 1) -> Discount:
    """A code of ``limit`` uses, redeemed by ``checkout`` (as checkout does when it holds)."""
    with tenant_context(shop):
        discount = discount_create(code="SAVE10", kind="percentage", value="10", usage_limit=limit)
        discount_redeem(code="save10", email=checkout.email, order_id=checkout.id)
        discount.refresh_from_db()
        assert discount.uses == 1
    return discount


def test_an_expired_checkout_gives_back_its_stock_and_its_discount_code_use(shop_a, selling_a):
    # given: a checkout holding 3 items and the only use of a code
    checkout = checkout_of(shop_a, place(selling_a, 3))
    discount = _code_redeemed_by(shop_a, checkout)
    with tenant_context(shop_a):
        assert Variant.objects.get(id=selling_a.id).available == 7

    # when: its hold expires
    assert expire(shop_a) == 1

    # then: the stock and the code's use are back, and another shopper may use the code
    with tenant_context(shop_a):
        checkout.refresh_from_db()
        discount.refresh_from_db()
        assert (checkout.status, checkout.stock_status) == ("cancelled", "released")
        assert Variant.objects.get(id=selling_a.id).available == 10
        assert discount.uses == 0
        assert not DiscountRedemption.objects.filter(order_id=checkout.id).exists()
        other = OrderFactory(pending=True, lines=[(selling_a, 1)], email="other@example.com")
        discount_redeem(code="SAVE10", email="other@example.com", order_id=other.id)
        assert Discount.objects.get(id=discount.id).uses == 1
    # a second run gives back nothing more
    assert expire(shop_a) == 0
    with tenant_context(shop_a):
        assert Discount.objects.get(id=discount.id).uses == 1


def test_a_checkout_the_merchant_cancels_gives_back_its_discount_code_use(
    shop_a, selling_a, localstripe
):
    checkout = checkout_of(shop_a, place(selling_a, 2))
    discount = _code_redeemed_by(shop_a, checkout, limit=5)

    owner_client().post(f"{ORDERS}{checkout.id}/cancel/", {"confirmed": "yes"})

    with tenant_context(shop_a):
        assert Order.objects.get(id=checkout.id).status == "cancelled"
        assert Discount.objects.get(id=discount.id).uses == 0
        assert Variant.objects.get(id=selling_a.id).available == 10


# --- Checkout reminders --------------------------------------------------------------------


@pytest.fixture
def reminders_now(settings):
    """Reminders due as soon as a checkout ends (ORDERS_RECOVERY_EMAIL_DELAY_SECONDS 0)."""
    settings.ORDERS_RECOVERY_EMAIL_DELAY_SECONDS = 0


def _abandon(shop, variant, quantity: int = 2, email: str = "shopper@example.com") -> Order:
    """A checkout left unpaid whose hold has ended."""
    with tenant_context(shop):
        stock_hold(variant=variant, quantity=quantity)
        checkout = OrderFactory(pending=True, email=email, lines=[(variant, quantity)])
        assert order_release(order=checkout, to="cancelled", note="The reservation expired.")
    return checkout


def _sweep(shop, capture) -> None:
    with tenant_context(shop), capture(execute=True):
        order_emails_sweep()


def test_no_reminder_when_the_shop_has_not_turned_them_on(
    shop_a, selling_a, reminders_now, django_capture_on_commit_callbacks
):
    checkout = _abandon(shop_a, selling_a)

    _sweep(shop_a, django_capture_on_commit_callbacks)

    assert mail.outbox == []
    with tenant_context(shop_a):
        assert not OrderEmail.objects.filter(order_id=checkout.id).exists()


def test_a_reminder_goes_once_with_the_lines_and_a_link_back_to_checkout(
    shop_a, selling_a, reminders_now, django_capture_on_commit_callbacks
):
    # given: the merchant turns reminders on in the admin, then a checkout is left
    turned = owner_client().post(f"{CHECKOUTS}reminders/", {"reminders": "on"}, follow=True)
    assert "Checkout reminders are on" in turned.content.decode()
    with tenant_context(shop_a):  # a reminder is marketing: the shopper opted in
        consent_confirmed("shopper@example.com")
    checkout = _abandon(shop_a, selling_a, quantity=2)

    # when: the beat's sweep runs, twice
    _sweep(shop_a, django_capture_on_commit_callbacks)
    _sweep(shop_a, django_capture_on_commit_callbacks)

    # then: one email, to the shopper, with the lines and links without personal data
    assert [message.to for message in mail.outbox] == [["shopper@example.com"]]
    message = mail.outbox[0]
    assert message.subject == "Your bag at Alpha Goods is waiting for you"
    assert "2 × Canvas Tote" in message.body  # noqa: RUF001 (times)
    refill = f"http://alpha.localhost/checkout/?products={selling_a.id}:2"
    assert f"Pick up where you left off: {refill}\n" in message.body
    html = message.alternatives[0][0]
    assert f'href="{refill}"' in html
    stop = re.search(r"marketing emails in one click:\n(\S+)", message.body).group(1)
    assert message.extra_headers["List-Unsubscribe"] == f"<{stop}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f'href="{stop}"' in html
    assert "shopper" not in stop
    assert "example.com" not in stop
    with tenant_context(shop_a):
        email = OrderEmail.objects.get(order_id=checkout.id)
        assert (email.kind, email.sent_at is not None) == ("recovery", True)
    # and the merchant sees it went
    assert "Sent " in owner_client().get(CHECKOUTS).content.decode()


def test_the_link_in_a_reminder_refills_the_checkout(
    shop_a, selling_a, reminders_now, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a):
        checkout_recovery_set(is_enabled=True)
        consent_confirmed("shopper@example.com")
    _abandon(shop_a, selling_a, quantity=2)
    _sweep(shop_a, django_capture_on_commit_callbacks)
    link = re.search(
        r"Pick up where you left off: http://alpha.localhost(\S+)", mail.outbox[0].body
    )

    page = owner_client().get(link.group(1))

    assert page.status_code == 200
    assert "Canvas Tote" in page.content.decode()


def test_no_reminder_when_it_is_not_due_yet(
    shop_a, selling_a, settings, django_capture_on_commit_callbacks
):
    settings.ORDERS_RECOVERY_EMAIL_DELAY_SECONDS = 3600
    with tenant_context(shop_a):
        checkout_recovery_set(is_enabled=True)
    _abandon(shop_a, selling_a)

    _sweep(shop_a, django_capture_on_commit_callbacks)

    assert mail.outbox == []


def test_no_reminder_to_a_shopper_who_paid_later(
    shop_a, selling_a, reminders_now, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a):
        checkout_recovery_set(is_enabled=True)
    _abandon(shop_a, selling_a, email="Shopper@Example.com")
    with tenant_context(shop_a):
        OrderFactory(lines=[(selling_a, 1)], email="shopper@example.com")  # paid since

    _sweep(shop_a, django_capture_on_commit_callbacks)

    assert mail.outbox == []


def test_a_reminder_recorded_before_the_shopper_paid_is_not_sent(
    shop_a, selling_a, reminders_now, django_capture_on_commit_callbacks
):
    # given: the reminder recorded, its sending not run yet
    with tenant_context(shop_a):
        checkout_recovery_set(is_enabled=True)
    checkout = _abandon(shop_a, selling_a)
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=False) as queued:
        order_emails_sweep()
    assert len(queued) == 1

    # when: the shopper pays another checkout, then the task runs
    with tenant_context(shop_a):
        OrderFactory(lines=[(selling_a, 1)], email="shopper@example.com")
        queued[0]()

    # then: nothing went, and nothing is left to send
    assert mail.outbox == []
    with tenant_context(shop_a):
        assert not OrderEmail.objects.filter(order_id=checkout.id).exists()


def test_a_stop_link_of_an_older_reminder_still_stops_them(
    shop_a, selling_a, reminders_now, django_capture_on_commit_callbacks
):
    # given: a reminder sent before reminders carried the one-click unsubscribe had a
    # stop link of its own (/checkout/reminders/stop/<token>/)
    with tenant_context(shop_a):
        checkout_recovery_set(is_enabled=True)
        consent_confirmed("shopper@example.com")
    checkout = _abandon(shop_a, selling_a)
    _sweep(shop_a, django_capture_on_commit_callbacks)
    with tenant_context(shop_a):
        stop = recovery_opt_out_path(order=checkout)
    shopper = owner_client()  # any browser; the link needs no login

    asked = shopper.get(stop)
    stopped = shopper.post(stop)
    bad = shopper.get(stop.replace("/stop/", "/stop/x"))
    _abandon(shop_a, selling_a)
    _sweep(shop_a, django_capture_on_commit_callbacks)

    assert "Stop checkout reminders?" in asked.content.decode()
    assert "No more reminders" in stopped.content.decode()
    assert bad.status_code == 404
    assert len(mail.outbox) == 1  # none for the second checkout
    with tenant_context(shop_a):
        assert list(RecoveryOptOut.objects.values_list("email", flat=True)) == [
            "shopper@example.com"
        ]
        # the one mechanism: the address's marketing consent is withdrawn
        consent = MarketingConsent.objects.get(email="shopper@example.com")
        assert (consent.status, consent.withdrawn_via) == ("withdrawn", "checkout reminder link")


def test_no_reminder_for_checkouts_begun_before_reminders_were_turned_on(
    shop_a, selling_a, reminders_now, django_capture_on_commit_callbacks
):
    _abandon(shop_a, selling_a)
    with tenant_context(shop_a):
        checkout_recovery_set(is_enabled=True)

    _sweep(shop_a, django_capture_on_commit_callbacks)

    assert mail.outbox == []


@pytest.mark.worker
def test_a_real_worker_sends_a_reminder_once_and_none_after_payment(
    committed_shop, django_db_blocker, tmp_path
):
    # given: a shop with reminders on; one checkout left unpaid, another left by a
    # shopper who paid since
    shop = committed_shop(f"remind{uuid.uuid4().hex[:6]}").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        checkout_recovery_set(is_enabled=True)
        variant = make_variant(stock=10)
        consent_confirmed("left@example.com")
        consent_confirmed("paid@example.com")
    left = _committed_abandon(shop, variant, "left@example.com", django_db_blocker)
    paid_later = _committed_abandon(shop, variant, "paid@example.com", django_db_blocker)
    with django_db_blocker.unblock(), tenant_context(shop):
        OrderFactory(lines=[(variant, 1)], email="paid@example.com")

    # when: the beat's email sweep runs twice on a real worker (reminders due at once)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = worker_start(
        queue=queue, media_root=tmp_path, env={"ORDERS_RECOVERY_EMAIL_DELAY_SECONDS": "0"}
    )
    try:
        with tasks_sent_to(queue), django_db_blocker.unblock():
            for_each_shop.delay("orders.emails_sweep")
            _wait_sent(shop, left, django_db_blocker)
            for_each_shop.delay("orders.emails_sweep")
            time.sleep(3)  # the second sweep's time to do anything
    finally:
        worker_stop(worker)

    # then: one reminder went, to the shopper who did not pay
    with django_db_blocker.unblock(), tenant_context(shop):
        sent = OrderEmail.objects.filter(kind="recovery", sent_at__isnull=False)
        assert list(sent.values_list("order_id", flat=True)) == [left.id]
        assert not OrderEmail.objects.filter(order_id=paid_later.id).exists()
        assert list(
            OrderActivity.objects.filter(order_id=left.id, kind="email").values_list(
                "message", flat=True
            )
        ) == [f"To left@example.com: “Your bag at {shop.name} is waiting for you”."]


def _committed_abandon(shop, variant, email: str, django_db_blocker) -> Order:
    with django_db_blocker.unblock():
        return _abandon(shop, variant, quantity=1, email=email)


def _wait_sent(shop, checkout: Order, django_db_blocker) -> None:
    deadline = time.monotonic() + 60
    with tenant_context(shop):
        while not OrderEmail.objects.filter(order_id=checkout.id, sent_at__isnull=False).exists():
            assert time.monotonic() < deadline, "the worker sent no reminder"
            time.sleep(0.2)


def test_the_reminder_switch_refuses_anything_but_on_or_off(shop_a):
    client = owner_client()

    odd = client.post(f"{CHECKOUTS}reminders/", {"reminders": "maybe"}, follow=True)
    off = client.post(f"{CHECKOUTS}reminders/", {"reminders": "off"}, follow=True)

    assert "Choose whether to send checkout reminders: on or off." in odd.content.decode()
    assert "Checkout reminders are off" in off.content.decode()
    with tenant_context(shop_a):
        assert not CheckoutRecovery.objects.filter(is_enabled=True).exists()


def test_the_orders_status_filter_offers_only_the_statuses_a_paid_order_can_show(
    shop_a, selling_a, localstripe
):
    # given: a paid order and a checkout left unpaid
    paid = paid_order(shop_a, "alpha", [(selling_a, 1)], localstripe)
    checkout_of(shop_a, place(selling_a, 1))
    client = owner_client()

    # when
    page = client.get(ORDERS).content.decode()
    paid_only = client.get(ORDERS, {"status__exact": "paid"}).content.decode()
    fulfilled_only = client.get(ORDERS, {"status__exact": "fulfilled"}).content.decode()

    # then: no choice that can never match here (those are Abandoned checkouts')
    offered = re.findall(r'href="\?status__exact=(\w+)"', page)
    assert offered == [
        "paid",
        "partially_fulfilled",
        "fulfilled",
        "refunded",
        "partially_refunded",
    ]
    assert "Pending payment" not in page and "status__exact=cancelled" not in page
    assert paid.number in paid_only
    assert paid.number not in fulfilled_only
