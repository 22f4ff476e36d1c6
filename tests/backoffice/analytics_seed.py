"""A shop's week of shoppers for the Analytics tests, through the insights' own paths: the
beacons as the storefront's script sends them (beacon_events_record), paid orders through
order_transition (which records the paid event), then the worker's rollup_run."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection

from orders.models import Order
from orders.status import order_transition
from reviews.services.polls import PollOptionInput, poll_create
from shops.insights.services import beacon_events_record, rollup_run
from tests.factories import OrderFactory, PostFactory, ProductFactory
from tests.insights.conftest import PHONE_UA


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def visit(
    events: list[dict],
    *,
    when: datetime,
    ip: str,
    referrer: str = "",
    url: str = "",
    embed: str = "",
) -> None:
    beacon_events_record(
        data={"events": events, "referrer": referrer, "url": url, "embed": embed},
        address=ip,
        user_agent=PHONE_UA,
        own_host=f"{connection.tenant.slug}.localhost",
        now=when,
    )


def paid_order(variant, quantity: int, *, when: datetime, email: str, utm: str = "") -> Order:
    order = OrderFactory(pending=True, email=email, utm_source=utm, lines=[(variant, quantity)])
    order_transition(order=order, to=Order.Status.PAID, paid_at=when)
    return order


def seed_day(day: date, *, title: str = "Sea mug", caption: str = "Summer mugs") -> dict:
    """On ``day``: four shoppers (Instagram and Pinterest through a post, each to the
    checkout; a blog embedding the shop; one direct to a poll's page), two paid orders of 2 x 24.00 and
    1 x 24.00; the day before, one shopper to the checkout and a paid order of 24.00 (the
    previous period of a one-day range)."""
    product = ProductFactory(title=title, price=Decimal("24.00"))
    post = PostFactory(caption=caption, products=[product])
    variant = product.variants.get()
    poll = poll_create(
        question=f"Which colour next for {title}?",
        options=[PollOptionInput(text="Sea blue"), PollOptionInput(text="Sand")],
    )
    p, q = product.id, post.id
    visit(
        [
            {"kind": "page_view", "page": "shop"},
            {"kind": "product_view", "product": p},
            {"kind": "bag_add", "product": p},
            {"kind": "checkout_started"},
        ],
        when=at(day, 9, 5),
        ip="198.51.100.1",
        url="https://alpha.localhost/?utm_source=instagram&utm_medium=social",
    )
    visit(
        [
            {"kind": "page_view", "page": "shop"},
            {"kind": "post_impression", "post": q},
            {"kind": "tag_click", "post": q},
            {"kind": "product_view", "product": p},
            {"kind": "bag_add", "product": p},
            {"kind": "checkout_started"},
        ],
        when=at(day, 10, 15),
        ip="203.0.113.9",
        referrer="https://www.pinterest.com/pin/123/",
    )
    visit(
        [{"kind": "page_view", "page": "embed"}, {"kind": "post_impression", "post": q}],
        when=at(day, 14, 30),
        ip="192.0.2.44",
        embed="https://blog.example/summer",
    )
    visit(
        [{"kind": "page_view", "page": "poll", "poll": poll.id}],
        when=at(day, 16, 0),
        ip="192.0.2.80",
    )
    paid_order(variant, 2, when=at(day, 9, 30), email="ada@example.com", utm="instagram")
    paid_order(variant, 1, when=at(day, 11, 0), email="ada@example.com")
    before = day - timedelta(days=1)
    visit(
        [
            {"kind": "page_view", "page": "product", "product": p},
            {"kind": "product_view", "product": p},
            {"kind": "bag_add", "product": p},
            {"kind": "checkout_started"},
        ],
        when=at(before, 12, 0),
        ip="192.0.2.90",
    )
    paid_order(variant, 1, when=at(before, 12, 30), email="grace@example.com")
    rollup_run(now=at(day, 23, 59))
    return {"product": product, "post": post, "poll": poll}
