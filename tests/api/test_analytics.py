"""Analytics in the partner API: the insights' numbers, a read scope, clear 400s, in the
OpenAPI schema, and a key that never sees another shop's numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from orders.models import Order
from orders.status import order_transition
from shops.insights.services import beacon_events_record, rollup_run
from tests.api.conftest import ApiClient, error_of
from tests.factories import OrderFactory, ProductFactory
from tests.insights.conftest import PHONE_UA
from tests.insights.test_poll_buyers import seed_voters_day

NOW = datetime.now(UTC)
TODAY = NOW.date()
RANGE = {"start": (TODAY - timedelta(days=6)).isoformat(), "end": TODAY.isoformat()}


def seed(shop, *, orders: int) -> None:
    """Two visitors (one from TikTok) and ``orders`` paid orders of €30 today."""
    with tenant_context(shop):
        for ip, url in (("198.51.100.1", "/?utm_source=tiktok"), ("198.51.100.2", "")):
            beacon_events_record(
                data={"events": [{"kind": "page_view", "page": "shop"}], "url": url},
                address=ip,
                user_agent=PHONE_UA,
                own_host=f"{shop.slug}.localhost",
                now=NOW - timedelta(minutes=30),
            )
        product = ProductFactory(price=Decimal("30.00"))
        for _ in range(orders):
            order = OrderFactory(pending=True, lines=[(product.variants.get(), 1)])
            order_transition(order=order, to=Order.Status.PAID, paid_at=NOW - timedelta(minutes=20))
        rollup_run()


def test_summary_funnel_series_and_breakdown(shop_a, make_key):
    seed(shop_a, orders=2)
    api = ApiClient("alpha", make_key(shop_a, scopes=["analytics:read"]))

    summary = api.get("/api/v1/analytics/summary/", RANGE)
    funnel = api.get("/api/v1/analytics/funnel/", RANGE)
    series = api.get("/api/v1/analytics/series/", {**RANGE, "metric": "sales"})
    breakdown = api.get("/api/v1/analytics/breakdown/", {**RANGE, "by": "source"})

    assert [r.status_code for r in (summary, funnel, series, breakdown)] == [200] * 4
    current = summary.json()["current"]
    assert (current["sales"], current["orders"], current["sessions"]) == ("60.00", 2, 2)
    assert current["average_order_value"] == "30.00" and current["conversion"] == 1.0
    assert current["currency"] == "EUR"
    assert summary.json()["previous"]["orders"] == 0
    assert summary.json()["attribution"] == "Last touch within 7 days"
    assert [step["count"] for step in funnel.json()["steps"]] == [2, 0, 0, 0, 2]
    points = series.json()["points"]
    assert len(points) == 7 and points[-1]["value"] == "60.00"
    assert {row["key"]: row["page_views"] for row in breakdown.json()["rows"]} == {
        "tiktok": 1,
        "direct": 1,
    }


def test_a_key_never_sees_another_shops_numbers(shop_a, shop_b, make_key):
    seed(shop_a, orders=3)
    api_b = ApiClient("beta", make_key(shop_b, scopes=["analytics:read"]))
    key_of_a_on_b = ApiClient("beta", make_key(shop_a, scopes=["analytics:read"]))

    summary = api_b.get("/api/v1/analytics/summary/", RANGE).json()["current"]
    rows = api_b.get("/api/v1/analytics/breakdown/", {**RANGE, "by": "source"}).json()["rows"]
    wrong_host = key_of_a_on_b.get("/api/v1/analytics/summary/", RANGE)

    assert (summary["orders"], summary["sessions"], summary["sales"]) == (0, 0, "0.00")
    assert rows == []
    assert wrong_host.status_code == 401


def test_a_key_without_the_analytics_scope_is_refused(shop_a, make_key):
    api = ApiClient("alpha", make_key(shop_a, scopes=["orders:read"]))

    response = api.get("/api/v1/analytics/summary/", RANGE)

    assert response.status_code == 403
    assert "analytics:read" in error_of(response)["message"]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("summary", {"start": "2026-13-01"}, "start"),
        ("summary", {"start": ""}, "start"),
        ("summary", {"start": "2026-05-02", "end": "2026-05-01"}, "end"),
        ("funnel", {"start": "2020-01-01", "end": "2026-01-01"}, "start"),
        ("series", {"metric": "likes"}, "metric"),
        ("series", {"metric": "sales", "grain": "minute"}, "grain"),
        ("series", {"metric": "sessions", "grain": "hour"}, "grain"),
        ("breakdown", {}, "by"),
        ("breakdown", {"by": "source", "limit": "0"}, "limit"),
        ("breakdown", {"by": "source", "offset": "-1"}, "offset"),
    ],
)
def test_bad_queries_are_clear_400s(shop_a, make_key, path, query, field):
    api = ApiClient("alpha", make_key(shop_a, scopes=["analytics:read"]))

    response = api.get(f"/api/v1/analytics/{path}/", query)

    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == field, error
    assert error["message"]


def test_the_analytics_endpoints_are_in_the_openapi_schema(shop_a, make_key):
    api = ApiClient("alpha", make_key(shop_a, scopes=["analytics:read"]))

    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()

    for name in ("summary", "funnel", "series", "breakdown"):
        operation = schema["paths"][f"/api/v1/analytics/{name}/"]["get"]
        assert operation["operationId"] == f"analytics_{name}"
        assert operation["tags"] == ["analytics"]
    by = next(
        p
        for p in schema["paths"]["/api/v1/analytics/breakdown/"]["get"]["parameters"]
        if p["name"] == "by"
    )
    assert set(by["schema"]["enum"]) == {
        "source",
        "channel",
        "post",
        "poll",
        "product",
        "embed_site",
    }


def test_the_breakdown_by_poll_has_the_voters_who_bought_later_that_day(shop_a, shop_b, make_key):
    with tenant_context(shop_a):
        sage, rust = seed_voters_day()
    api = ApiClient("alpha", make_key(shop_a, scopes=["analytics:read"]))
    api_b = ApiClient("beta", make_key(shop_b, scopes=["analytics:read"]))

    answer = api.get("/api/v1/analytics/breakdown/", {**RANGE, "by": "poll"}).json()
    answer_b = api_b.get("/api/v1/analytics/breakdown/", {**RANGE, "by": "poll"}).json()

    assert answer["columns"] == ["page_views", "votes", "voters_bought"]
    assert [(row["key"], row["votes"], row["voters_bought"]) for row in answer["rows"]] == [
        (str(sage.id), 4, 2),
        (str(rust.id), 3, 1),
    ]
    assert answer_b["rows"] == []
