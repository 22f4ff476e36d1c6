"""A generated day of events gives exact rollups; the selectors read them; the funnel's
paid step is the paid orders; the rollup is idempotent; shops never see each other's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from orders.models import Order
from orders.status import order_transition
from shops.insights import selectors
from shops.insights.models import DailyRollup, HourlyRollup, Kind
from shops.insights.services import beacon_events_record, rollup_run
from tests.factories import OrderFactory, ProductFactory
from tests.insights.conftest import DESKTOP_UA, PHONE_UA

DAY = (datetime.now(UTC) - timedelta(days=1)).date()


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=UTC)


def send(events, *, when, ip="198.51.100.1", ua=PHONE_UA, referrer="", url="", embed=""):
    return beacon_events_record(
        data={"events": events, "referrer": referrer, "url": url, "embed": embed},
        address=ip,
        user_agent=ua,
        own_host="alpha.localhost",
        now=when,
    )


def generate_day(product_id: int, post_id: int) -> None:
    """Three shoppers and a bot on DAY (see the expected rollups below)."""
    # shopper 1 lands from an Instagram link, views a product, bags it, starts checkout
    send(
        [
            {"kind": "page_view", "page": "shop"},
            {"kind": "product_view", "product": product_id},
            {"kind": "bag_add", "product": product_id},
            {"kind": "checkout_started"},
        ],
        when=at(9, 10),
        url="https://alpha.localhost/?utm_source=instagram&utm_medium=social",
    )
    # … then opens the product page from within the shop (no outside referrer)
    send(
        [{"kind": "page_view", "page": "product", "product": product_id}],
        when=at(9, 40),
        referrer="https://alpha.localhost/",
    )
    # shopper 2 comes from Pinterest, sees a post and clicks its tag
    send(
        [
            {"kind": "page_view", "page": "shop"},
            {"kind": "post_impression", "post": post_id},
            {"kind": "tag_click", "post": post_id},
        ],
        when=at(10, 5),
        ip="203.0.113.9",
        referrer="https://www.pinterest.com/pin/123/",
    )
    # shopper 3 sees the shop embedded in a blog
    send(
        [{"kind": "page_view", "page": "embed"}],
        when=at(10, 30),
        ip="192.0.2.44",
        ua=DESKTOP_UA,
        embed="https://blog.example/summer",
    )
    # a crawler: never counted
    send(
        [{"kind": "page_view", "page": "shop"}],
        when=at(10, 31),
        ua="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    )


def hourly() -> set[tuple]:
    return set(HourlyRollup.objects.values_list("hour", "kind", "events", "value_minor"))


def daily(dimension: str) -> set[tuple]:
    """(day, kind, value, events, value_minor, visitors) of one dimension's rows."""
    return set(
        DailyRollup.objects.filter(dimension=dimension).values_list(
            "day", "kind", "value", "events", "value_minor", "visitors"
        )
    )


def test_a_generated_day_gives_exact_rollups(shop_a, media):
    with tenant_context(shop_a):
        product = ProductFactory()
        generate_day(product_id=product.id, post_id=77)

        rollup_run(now=at(23, 59))

        p = str(product.id)
        assert hourly() == {
            (at(9), Kind.PAGE_VIEW, 2, 0),
            (at(9), Kind.PRODUCT_VIEW, 1, 0),
            (at(9), Kind.BAG_ADD, 1, 0),
            (at(9), Kind.CHECKOUT_STARTED, 1, 0),
            (at(10), Kind.PAGE_VIEW, 2, 0),
            (at(10), Kind.POST_IMPRESSION, 1, 0),
            (at(10), Kind.TAG_CLICK, 1, 0),
        }
        # (day, kind, value, events, money, unique visitors): shopper 1's two page views
        # are one visitor
        assert daily("") == {
            (DAY, Kind.PAGE_VIEW, "", 4, 0, 3),
            (DAY, Kind.PRODUCT_VIEW, "", 1, 0, 1),
            (DAY, Kind.BAG_ADD, "", 1, 0, 1),
            (DAY, Kind.CHECKOUT_STARTED, "", 1, 0, 1),
            (DAY, Kind.POST_IMPRESSION, "", 1, 0, 1),
            (DAY, Kind.TAG_CLICK, "", 1, 0, 1),
        }
        assert daily("source") == {
            (DAY, Kind.PAGE_VIEW, "instagram", 1, 0, 1),
            (DAY, Kind.PRODUCT_VIEW, "instagram", 1, 0, 1),
            (DAY, Kind.BAG_ADD, "instagram", 1, 0, 1),
            (DAY, Kind.CHECKOUT_STARTED, "instagram", 1, 0, 1),
            (DAY, Kind.PAGE_VIEW, "direct", 1, 0, 1),
            (DAY, Kind.PAGE_VIEW, "pinterest.com", 1, 0, 1),
            (DAY, Kind.POST_IMPRESSION, "pinterest.com", 1, 0, 1),
            (DAY, Kind.TAG_CLICK, "pinterest.com", 1, 0, 1),
            (DAY, Kind.PAGE_VIEW, "blog.example", 1, 0, 1),
        }
        assert daily("channel") == {
            (DAY, Kind.PAGE_VIEW, "meta", 1, 0, 1),
            (DAY, Kind.PRODUCT_VIEW, "meta", 1, 0, 1),
            (DAY, Kind.BAG_ADD, "meta", 1, 0, 1),
            (DAY, Kind.CHECKOUT_STARTED, "meta", 1, 0, 1),
            (DAY, Kind.PAGE_VIEW, "direct", 1, 0, 1),
            (DAY, Kind.PAGE_VIEW, "pinterest", 1, 0, 1),
            (DAY, Kind.POST_IMPRESSION, "pinterest", 1, 0, 1),
            (DAY, Kind.TAG_CLICK, "pinterest", 1, 0, 1),
            (DAY, Kind.PAGE_VIEW, "embed", 1, 0, 1),
        }
        assert daily("embed_site") == {(DAY, Kind.PAGE_VIEW, "blog.example", 1, 0, 1)}
        assert daily("page") == {
            (DAY, Kind.PAGE_VIEW, "shop", 2, 0, 2),
            (DAY, Kind.PAGE_VIEW, "product", 1, 0, 1),
            (DAY, Kind.PAGE_VIEW, "embed", 1, 0, 1),
        }
        assert daily("post") == {
            (DAY, Kind.POST_IMPRESSION, "77", 1, 0, 1),
            (DAY, Kind.TAG_CLICK, "77", 1, 0, 1),
        }
        assert daily("product") == {
            (DAY, Kind.PAGE_VIEW, p, 1, 0, 1),
            (DAY, Kind.PRODUCT_VIEW, p, 1, 0, 1),
            (DAY, Kind.BAG_ADD, p, 1, 0, 1),
        }
        assert daily("poll") == set()

        summary = selectors.insights_summary(DAY, DAY)
        assert (summary.current.sessions, summary.current.page_views) == (3, 4)
        assert summary.current.orders == 0
        assert summary.current.conversion == 0
        assert summary.previous.sessions == 0
        funnel = selectors.insights_funnel(DAY, DAY)
        assert [step.count for step in funnel.steps] == [3, 1, 1, 1, 0]
        sources = selectors.insights_table(DAY, DAY, "source")
        assert [(row.key, row.page_views, row.visitors) for row in sources.rows] == [
            ("blog.example", 1, 1),
            ("direct", 1, 1),
            ("instagram", 1, 1),
            ("pinterest.com", 1, 1),
        ]
        assert sources.total_rows == 4


def test_the_rollup_is_idempotent_and_incremental(shop_a):
    with tenant_context(shop_a):
        send([{"kind": "page_view", "page": "shop"}], when=at(8, 0))
        rollup_run(now=at(8, 30))
        rollup_run(now=at(8, 30))
        first = hourly() | daily("")
        send([{"kind": "page_view", "page": "shop"}], when=at(8, 45), ip="192.0.2.1")
        rollup_run(now=at(9, 0))
        rollup_run(now=at(9, 0))

        assert first == {(at(8), Kind.PAGE_VIEW, 1, 0), (DAY, Kind.PAGE_VIEW, "", 1, 0, 1)}
        assert hourly() == {(at(8), Kind.PAGE_VIEW, 2, 0)}
        assert daily("") == {(DAY, Kind.PAGE_VIEW, "", 2, 0, 2)}


def paid_order(product, *, when: datetime, email: str = "ada@example.com", utm: str = ""):
    order = OrderFactory(
        pending=True, email=email, utm_source=utm, lines=[(product.variants.get(), 2)]
    )
    order_transition(order=order, to=Order.Status.PAID, paid_at=when)
    return order


def test_the_funnels_paid_step_is_the_paid_orders(shop_a):
    with tenant_context(shop_a):
        product = ProductFactory(price=Decimal("24.00"))
        paid_order(product, when=at(11, 0), utm="tiktok")
        paid_order(product, when=at(12, 0))  # the same shopper again: a returning one
        paid_order(product, when=at(13, 0), email="grace@example.com")
        OrderFactory(pending=True, lines=[(product.variants.get(), 1)])  # never paid
        paid_order(product, when=at(0, 0) - timedelta(days=2))  # outside the range
        rollup_run(now=at(23, 0))

        funnel = selectors.insights_funnel(DAY, DAY)
        summary = selectors.insights_summary(DAY, DAY).current
        paid_in_range = Order.objects.filter(paid_at__date=DAY).count()
        by_product = selectors.insights_table(DAY, DAY, "product").rows
        by_channel = selectors.insights_table(DAY, DAY, "channel").rows

    assert funnel.steps[-1].count == paid_in_range == 3
    assert summary.orders == 3
    assert summary.sales == Decimal("144.00")
    assert summary.average_order_value == Decimal("48.00")
    assert summary.returning_shoppers == 1
    assert [(row.key, row.units_sold, row.revenue) for row in by_product] == [
        (str(product.id), 3, Decimal("144.00"))
    ]
    assert {(row.key, row.orders, row.revenue) for row in by_channel} == {
        ("tiktok", 1, Decimal("48.00")),
        ("direct", 2, Decimal("96.00")),
    }


def test_shops_never_see_each_others_numbers(shop_a, shop_b):
    with tenant_context(shop_a):
        send([{"kind": "page_view", "page": "shop"}], when=at(9))
        product = ProductFactory()
        paid_order(product, when=at(10))
        rollup_run(now=at(23))
        assert selectors.insights_summary(DAY, DAY).current.orders == 1
    with tenant_context(shop_b):
        rollup_run(now=at(23))
        summary = selectors.insights_summary(DAY, DAY).current
        funnel = selectors.insights_funnel(DAY, DAY)
        table = selectors.insights_table(DAY, DAY, "source")
    assert (summary.orders, summary.sessions, summary.sales) == (0, 0, Decimal(0))
    assert [step.count for step in funnel.steps] == [0, 0, 0, 0, 0]
    assert table.rows == [] and table.total_rows == 0


BREAKDOWNS = selectors.BREAKDOWNS
QUERIES: dict[int, int] = {}


@pytest.mark.parametrize("days", [1, 30])
def test_the_selectors_query_count_is_flat_as_data_grows(shop_a, days):
    with tenant_context(shop_a):
        for offset in range(days):
            for visitor in range(3):
                send(
                    [
                        {"kind": "page_view", "page": "product", "product": offset + 1},
                        {"kind": "post_impression", "post": offset + 1},
                    ],
                    when=at(9) - timedelta(days=offset),
                    ip=f"198.51.100.{visitor}",
                    referrer=f"https://site{offset}.example/",
                )
        rollup_run(now=at(23))
        start = DAY - timedelta(days=40)
        with CaptureQueriesContext(connection) as queries:
            selectors.insights_summary(start, DAY)
            selectors.insights_funnel(start, DAY)
            selectors.insights_series(start, DAY, "conversion")
            pages = {by: selectors.insights_table(start, DAY, by, limit=10) for by in BREAKDOWNS}
    assert pages["source"].total_rows == pages["post"].total_rows == days
    assert len(pages["product"].rows) == min(days, 10)
    # summary 2, funnel 1, series 1, six tables of 4 at most; the same for 1 or 30 days
    QUERIES[days] = len(queries)
    assert len(queries) <= 2 + 1 + 1 + 6 * 4
    assert len(set(QUERIES.values())) == 1, QUERIES


def test_ranges_the_selectors_refuse(shop_a):
    with tenant_context(shop_a):
        with pytest.raises(selectors.RangeInvalid, match="before the start"):
            selectors.insights_summary(date(2026, 5, 2), date(2026, 5, 1))
        with pytest.raises(selectors.RangeInvalid, match="at most 731 days"):
            selectors.insights_funnel(date(2020, 1, 1), date(2026, 1, 1))
        with pytest.raises(selectors.RangeInvalid, match="Unknown breakdown"):
            selectors.insights_table(DAY, DAY, "planet")  # type: ignore[arg-type]
        with pytest.raises(selectors.RangeInvalid, match="per day"):
            selectors.insights_series(DAY, DAY, "sessions", grain="hour")
