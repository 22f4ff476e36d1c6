"""The poll table's "voters who later bought, same day": buy-now keeps the shopper's
visitor of the day for the order, the paid event (from Stripe's webhook) carries it, and
the rollup counts per poll and day the voters whose paid order came after their vote."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from orders.models import Order
from shops.insights import selectors
from shops.insights.models import CheckoutVisitor, DailyRollup, Kind
from shops.insights.services import (
    checkout_visitors_forget,
    order_paid_record,
    rollup_run,
    shopper_action_record,
    visitor_hash,
)
from tests.api.conftest import a_poll
from tests.insights.conftest import DESKTOP_UA, PHONE_UA, raw_events
from tests.orders.conftest import ADDRESS, buy, card_token, intent_event, pay, signed

DAY = (datetime.now(UTC) - timedelta(days=1)).date()
NEXT_DAY = DAY + timedelta(days=1)


def at(hour: int, minute: int = 0, *, day=DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def vote(poll_id: int, *, ip: str, when: datetime, ua: str = PHONE_UA) -> None:
    request = RequestFactory().post(
        "/", HTTP_HOST="alpha.localhost", REMOTE_ADDR=ip, HTTP_USER_AGENT=ua
    )
    assert shopper_action_record(request, action="vote", poll_id=poll_id, now=when) == 1


def paid(order_id: int, *, ip: str, when: datetime, ua: str = PHONE_UA) -> None:
    """A paid order whose buy-now was made by the visitor (ip, ua) of ``when``'s day, as
    the receiver records it with the visitor kept at buy-now."""
    day = when.astimezone(UTC).date()
    order_paid_record(
        order_id=order_id,
        public_id=f"order-{order_id}",
        paid_at=when,
        amount_minor=2400,
        utm_source="",
        lines=[],
        post_touch=None,
        is_returning=False,
        visitor=visitor_hash(address=ip, user_agent=ua, day=day),
    )


def seed_voters_day(day=DAY) -> tuple:
    """On ``day``: two polls; 2 voters who bought later that day (one of them in both
    polls), and a voter who bought before voting, a buyer who never voted, a voter who
    never bought, a voter who bought the next morning; rolled up. The polls."""

    def when(hour: int, minute: int = 0):
        return at(hour, minute, day=day)

    following = day + timedelta(days=1)
    sage, rust = a_poll("Sage or rust?"), a_poll("Linen or wool?")
    # counted: votes at 9:00, buys at 15:00 (votes twice in one poll: one voter)
    vote(sage.id, ip="198.51.100.1", when=when(9))
    vote(sage.id, ip="198.51.100.1", when=when(9, 30))
    paid(1, ip="198.51.100.1", when=when(15))
    # counted in both polls: votes in each, then buys
    vote(sage.id, ip="198.51.100.2", when=when(10), ua=DESKTOP_UA)
    vote(rust.id, ip="198.51.100.2", when=when(10, 5), ua=DESKTOP_UA)
    paid(2, ip="198.51.100.2", when=when(11), ua=DESKTOP_UA)
    # not counted: bought at 8:00, voted at 12:00
    paid(3, ip="198.51.100.3", when=when(8))
    vote(sage.id, ip="198.51.100.3", when=when(12))
    # not counted: a buyer who never voted
    paid(4, ip="198.51.100.4", when=when(13))
    # not counted: only a vote
    vote(rust.id, ip="198.51.100.5", when=when(14))
    # not counted: votes late on the day, buys the next morning (the next day's visitor)
    vote(rust.id, ip="198.51.100.6", when=when(22))
    paid(6, ip="198.51.100.6", when=at(0, 30, day=following))
    rollup_run(now=at(1, 0, day=following))
    return sage, rust


def test_a_generated_day_counts_the_voters_who_bought_later_that_day(shop_a, shop_b):
    with tenant_context(shop_a):
        sage, rust = seed_voters_day()
        rollup_run(now=at(1, 0, day=NEXT_DAY))
        rows = set(
            DailyRollup.objects.filter(kind=Kind.VOTER_BOUGHT).values_list(
                "day", "dimension", "value", "events", "visitors"
            )
        )
        with CaptureQueriesContext(connection) as queries:
            page = selectors.insights_table(DAY, NEXT_DAY, "poll")
        rollup_run(now=at(1, 0, day=NEXT_DAY))  # rebuilt, not added to
        again = selectors.insights_table(DAY, NEXT_DAY, "poll")

    assert rows == {(DAY, "poll", str(sage.id), 2, 2), (DAY, "poll", str(rust.id), 1, 1)}
    assert page.columns == ("page_views", "votes", "voters_bought")
    assert [(row.label, row.votes, row.voters_bought) for row in page.rows] == [
        ("Sage or rust?", 4, 2),
        ("Linen or wool?", 3, 1),
    ]
    assert [row.voters_bought for row in again.rows] == [2, 1]
    assert len(queries) <= 4

    with tenant_context(shop_b):  # shop B has neither the votes nor the buyers
        rollup_run(now=at(1, 0, day=NEXT_DAY))
        assert selectors.insights_table(DAY, NEXT_DAY, "poll").rows == []
        assert not DailyRollup.objects.filter(kind=Kind.VOTER_BOUGHT).exists()


def buy_and_pay(client: Client, variant, localstripe: str) -> str:
    """Buy-now with ``client`` (the shopper's own browser) and pay at localstripe; the
    order's public id (``webhook_paid`` marks it paid, as Stripe's webhook does)."""
    answer = buy(
        client,
        {"items": [{"variant_id": variant.id, "quantity": 1}], "email": "ada@example.com"},
    ).json()
    assert "order" in answer, answer
    pay(client, answer, card_token(localstripe))
    return answer["order"]["id"]


def webhook_paid(shop, public_id: str) -> Order:
    with tenant_context(shop):
        order = Order.objects.get(public_id=public_id)
    event = intent_event(
        event_id=f"evt_alpha_{order.id}",
        type="payment_intent.succeeded",
        intent_id=order.payment_intent_id,
        shop="shop_alpha",
        order=str(order.public_id),
        amount=order.amount_minor,
    )
    stripe = Client(HTTP_HOST="alpha.localhost")
    assert stripe.post("/webhooks/stripe/", **signed(event, "whsec_alpha")).status_code == 200
    with tenant_context(shop):
        return Order.objects.get(id=order.id)


def test_buy_now_keeps_the_voters_visitor_for_the_paid_event(
    shop_a, shop_b, selling_a, localstripe
):
    with tenant_context(shop_a):
        poll = a_poll()
        option = poll.options.order_by("id").first()
    voter = Client(
        HTTP_HOST="alpha.localhost", REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT=PHONE_UA
    )
    early = Client(
        HTTP_HOST="alpha.localhost", REMOTE_ADDR="198.51.100.8", HTTP_USER_AGENT=PHONE_UA
    )
    stranger = Client(
        HTTP_HOST="alpha.localhost", REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT=DESKTOP_UA
    )

    def poll_vote(client: Client) -> None:
        response = client.post(
            f"/api/v1/polls/{poll.id}/vote/",
            json.dumps({"option": option.id}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content

    poll_vote(voter)
    voter_order = buy_and_pay(voter, selling_a, localstripe)
    with tenant_context(shop_a):
        kept = CheckoutVisitor.objects.get(order_id=Order.objects.get(public_id=voter_order).id)
    with tenant_context(shop_b):  # shop B's schema has no row of it
        assert not CheckoutVisitor.objects.exists()
    voter_paid = webhook_paid(shop_a, voter_order)
    # bought, then voted: not a voter who later bought
    early_paid = webhook_paid(shop_a, buy_and_pay(early, selling_a, localstripe))
    poll_vote(early)
    # bought, never voted
    stranger_paid = webhook_paid(shop_a, buy_and_pay(stranger, selling_a, localstripe))

    with tenant_context(shop_a):
        events = raw_events()
        assert not CheckoutVisitor.objects.exists()  # taken when paid
        rollup_run()
        today = datetime.now(UTC).date()
        row = selectors.insights_table(today, today, "poll").rows[0]

    votes = {e["visitor"] for e in events if e["kind"] == Kind.VOTE}
    paid_visitor = {e["order_id"]: e["visitor"] for e in events if e["kind"] == Kind.PAID}
    assert paid_visitor[voter_paid.id] == kept.visitor
    assert paid_visitor[voter_paid.id] in votes
    assert paid_visitor[early_paid.id] in votes
    assert paid_visitor[stranger_paid.id] not in votes
    assert (row.votes, row.voters_bought) == (2, 1)


def test_buy_now_by_a_bot_keeps_nothing_and_past_days_are_forgotten(shop_a, selling_a):
    bot = Client(HTTP_HOST="alpha.localhost", HTTP_USER_AGENT="curl/8.0")
    response = buy(bot, {"items": [{"variant_id": selling_a.id, "quantity": 1}], "email": "a@b.co"})
    assert response.status_code == 201, response.content
    with tenant_context(shop_a):
        assert not CheckoutVisitor.objects.exists()
        CheckoutVisitor.objects.create(order_id=1, visitor=1, day=DAY)
        CheckoutVisitor.objects.create(order_id=2, visitor=2, day=NEXT_DAY)
        assert checkout_visitors_forget(today=NEXT_DAY) == 1
        assert list(CheckoutVisitor.objects.values_list("order_id", flat=True)) == [2]


def test_buy_now_with_a_shoppers_browser_costs_three_more_queries(shop_a, selling_a, localstripe):
    body = {
        "items": [{"variant_id": selling_a.id, "quantity": 1}],
        "email": "ada@example.com",
        "shipping_address": ADDRESS,
    }

    def queries_of(client: Client) -> int:
        buy(client, body)  # the shop's routing, payment account and today's salt cached
        with CaptureQueriesContext(connection) as queries:
            response = buy(client, body)
        assert response.status_code == 201, response.content
        return len(queries)

    no_browser = queries_of(Client(HTTP_HOST="alpha.localhost"))  # no user agent: a bot
    browser = queries_of(
        Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT=PHONE_UA)
    )
    # the visitor kept: savepoint, one INSERT … ON CONFLICT, release
    assert browser == no_browser + 3
