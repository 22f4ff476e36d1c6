"""Click-through: impressions and tag clicks per post and day, purchases attributed to
the post whose tag led to buy-now, revenue counted once paid; shops kept apart."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from orders.models import Order
from shops.posts import selectors, services
from shops.posts.models import PostDailyStats, PostOrderAttribution
from tests.conftest import clear_of_window_end
from tests.orders.conftest import buy, shopper
from tests.orders.test_webhooks import post_event, succeeded
from tests.posts.conftest import picture, published_post, tag

VIEW = "3f9a0c1d2e4b5a6978877665544332211"[:32]


def beacon(events: list, slug: str = "alpha", view: str = VIEW):
    """What navigator.sendBeacon sends: a text/plain JSON body, no cookie."""
    return Client(HTTP_HOST=f"{slug}.localhost", enforce_csrf_checks=True).post(
        "/api/v1/post-events/",
        data=json.dumps({"view": view, "events": events}),
        content_type="text/plain;charset=UTF-8",
    )


def counters(shop) -> list[tuple]:
    with tenant_context(shop):
        return list(PostDailyStats.objects.values_list("post_id", "impressions", "tag_clicks"))


def test_impressions_and_clicks_add_up_per_post_and_day(shop_a, media):
    clear_of_window_end(86400)  # every beacon counted on the same UTC day
    with tenant_context(shop_a):
        first, second = published_post(), published_post()

    first_view = beacon(
        [
            {"post": first.id, "kind": "impression"},
            {"post": second.id, "kind": "impression"},
            {"post": first.id, "kind": "impression"},
        ]
    )
    click = beacon([{"post": first.id, "kind": "click"}])
    second_view = beacon([{"post": first.id, "kind": "impression"}], view="b" * 32)

    assert [r.status_code for r in (first_view, click, second_view)] == [204, 204, 204]
    assert first_view.cookies == {}
    assert sorted(counters(shop_a)) == sorted([(first.id, 2, 1), (second.id, 1, 0)])
    with tenant_context(shop_a):
        stats = selectors.post_stats(post_ids=[first.id])[first.id]
    assert stats.click_through_rate == 0.5


def test_recording_is_one_statement_for_any_number_of_posts(shop_a, media):
    with tenant_context(shop_a):
        posts = [published_post() for _ in range(5)]
    events = [{"post": post.id, "kind": kind} for post in posts for kind in ("impression", "click")]

    with CaptureQueriesContext(connection) as captured:
        response = beacon(events)

    assert response.status_code == 204
    writes = [
        q["sql"] for q in captured if not q["sql"].lstrip().upper().startswith(("SELECT", "SET"))
    ]
    assert len(writes) == 1 and writes[0].lstrip().startswith("INSERT INTO")
    assert len(captured) == 4  # routing (3), the upsert


def test_a_new_day_gets_a_row_of_its_own(shop_a, media):
    clear_of_window_end(86400)  # today is the same day when the rows are read
    with tenant_context(shop_a):
        post = published_post()
        yesterday = timezone.localdate() - timedelta(days=1)
        services.post_events_record(events=[(post.id, "impression")], day=yesterday)
        services.post_events_record(events=[(post.id, "impression"), (post.id, "click")])

        rows = list(
            PostDailyStats.objects.order_by("day").values_list("day", "impressions", "tag_clicks")
        )
    assert rows == [(yesterday, 1, 0), (timezone.localdate(), 1, 1)]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ("not json", "parse_error", None),  # the API's code for an unreadable body
        (json.dumps({"events": "many"}), "invalid", "events"),
        (json.dumps([1, 2]), "invalid", None),
    ],
)
def test_malformed_beacons_are_refused(shop_a, body, code, field):
    response = Client(HTTP_HOST="alpha.localhost").post(
        "/api/v1/post-events/", data=body, content_type="text/plain"
    )
    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)


def test_an_oversized_beacon_is_refused(shop_a):
    response = beacon([{"post": 1, "kind": "impression", "pad": "x" * 9000}])
    # the API's code for a body too large, as on every endpoint
    assert (response.status_code, response.json()["error"]["code"]) == (413, "request_too_large")
    assert response.json()["error"]["message"] == "Send at most 8 KB at once."


def test_unknown_draft_and_odd_events_are_dropped(shop_a, media):
    with tenant_context(shop_a):
        draft = services.post_create(images=[services.ImageInput(file=picture())])
        post = published_post()

    response = beacon(
        [
            {"post": draft.id, "kind": "impression"},
            {"post": 10**20, "kind": "click"},
            {"post": "x", "kind": "click"},
            {"post": post.id, "kind": "purchase"},
            "nonsense",
            {"post": True, "kind": "click"},
        ]
    )

    assert response.status_code == 204
    assert counters(shop_a) == []


def test_events_count_in_the_shop_they_were_sent_to_only(shop_a, shop_b, media):
    with tenant_context(shop_a):
        post = published_post()

    beacon([{"post": post.id, "kind": "impression"}], slug="beta")

    assert counters(shop_a) == []
    assert counters(shop_b) == []


def test_a_purchase_after_a_tag_click_is_attributed_and_counted_once_paid(
    shop_a, selling_a, media, django_capture_on_commit_callbacks
):
    # given a post tagging the variant's product, and a shopper who clicked its tag
    with tenant_context(shop_a):
        post = published_post(selling_a.product)
    beacon([{"post": post.id, "kind": "impression"}, {"post": post.id, "kind": "click"}])

    # when they buy with the post and page view token the tag link carried
    answer = buy(
        shopper(),
        {
            "items": [{"variant_id": selling_a.id, "quantity": 2}],
            "email": "shopper@example.com",
            "post": {"id": post.id, "view": VIEW},
        },
    )

    # then the order is attributed, but no revenue counts before the payment
    with tenant_context(shop_a):
        order = Order.objects.get(public_id=answer.json()["order"]["id"])
        attribution = PostOrderAttribution.objects.get()
        assert (attribution.order_id, attribution.post_id, attribution.view_token) == (
            order.id,
            post.id,
            VIEW,
        )
        before = selectors.post_stats(post_ids=[post.id])[post.id]
    assert (before.orders, before.revenue_minor) == (0, 0)

    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(succeeded(order), "whsec_alpha").status_code == 200

    with tenant_context(shop_a):
        stats = selectors.post_stats(post_ids=[post.id])[post.id]
    assert (stats.impressions, stats.tag_clicks, stats.orders, stats.revenue_minor) == (
        1,
        1,
        1,
        4800,
    )
    assert str(stats.revenue("EUR")) == "48.00"


@pytest.mark.parametrize(
    "post_field",
    [
        {"id": 999_999, "view": VIEW},  # no such post
        {"id": "1", "view": VIEW},  # not an id
        {"view": VIEW},
        "post-1",
        {"id": None, "view": "short"},
    ],
)
def test_a_bad_post_reference_never_costs_the_sale(shop_a, selling_a, post_field):
    response = buy(
        shopper(),
        {
            "items": [{"variant_id": selling_a.id, "quantity": 1}],
            "email": "shopper@example.com",
            "post": post_field,
        },
    )

    assert response.status_code == 201
    with tenant_context(shop_a):
        assert Order.objects.count() == 1
        assert not PostOrderAttribution.objects.exists()


def test_a_malformed_view_token_or_draft_post_is_not_attributed(shop_a, selling_a, media):
    with tenant_context(shop_a):
        draft = services.post_create(
            images=[services.ImageInput(file=picture())], tags=[[tag(selling_a.product)]]
        )
        post = published_post(selling_a.product)
    for reference in ({"id": draft.id, "view": VIEW}, {"id": post.id, "view": "bad token!"}):
        response = buy(
            shopper(),
            {
                "items": [{"variant_id": selling_a.id, "quantity": 1}],
                "email": "shopper@example.com",
                "post": reference,
            },
        )
        assert response.status_code == 201
    with tenant_context(shop_a):
        assert not PostOrderAttribution.objects.exists()


def test_another_shops_post_is_not_attributed(shop_a, shop_b, selling_a, media):
    with tenant_context(shop_b):
        theirs = published_post()
    with tenant_context(shop_a):
        from shops.posts.models import Post

        Post.objects.filter(id=theirs.id).delete()  # alpha has no post with that id

    response = buy(
        shopper(),
        {
            "items": [{"variant_id": selling_a.id, "quantity": 1}],
            "email": "shopper@example.com",
            "post": {"id": theirs.id, "view": VIEW},
        },
    )

    assert response.status_code == 201
    with tenant_context(shop_a):
        assert not PostOrderAttribution.objects.exists()
    with tenant_context(shop_b):
        assert not PostOrderAttribution.objects.exists()


def test_revenue_counts_what_paid_orders_kept(shop_a, selling_a, media):
    with tenant_context(shop_a):
        post = published_post(selling_a.product)
    public_ids = [
        buy(
            shopper(),
            {
                "items": [{"variant_id": selling_a.id, "quantity": 1}],
                "email": "s@example.com",
                "post": {"id": post.id, "view": VIEW},
            },
        ).json()["order"]["id"]
        for _ in range(5)
    ]
    # given orders paid, fulfilled, partly refunded (10.00 back), refunded and unpaid
    with tenant_context(shop_a):
        orders = Order.objects.filter(public_id__in=public_ids).order_by("id")
        now = timezone.now()
        for order, (status, refunded) in zip(
            orders,
            [
                ("paid", 0),
                ("fulfilled", 0),
                ("partially_refunded", 1000),
                ("refunded", 2400),
                ("pending_payment", 0),
            ],
            strict=True,
        ):
            paid_at = None if status == "pending_payment" else now
            Order.objects.filter(id=order.id).update(
                status=status, refunded_minor=refunded, paid_at=paid_at
            )

        stats = selectors.post_stats(post_ids=[post.id])[post.id]

    # then three orders count: 24.00 + 24.00 + 14.00
    assert (stats.orders, stats.revenue_minor) == (3, 6200)
