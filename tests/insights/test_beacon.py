"""The beacon: strict validation (4xx, nothing written), bots left out, no cookie, no raw
address or user agent stored, a visitor hash that changes every day, the posts' own
counters kept, rate limits and shops apart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from shops.insights.models import DailySalt, Kind
from shops.insights.services import beacon_events_record, visitor_hash
from shops.posts.models import PostDailyStats
from tests.api.conftest import a_poll
from tests.conftest import clear_of_window_end
from tests.insights.conftest import PHONE_UA, beacon, raw_events
from tests.posts.conftest import published_post

IP = "198.51.100.23"


def test_a_beacon_is_one_insert_and_no_cookie(shop_a):
    with tenant_context(shop_a):
        visitor_hash(address=IP, user_agent=PHONE_UA)  # the day's salt, made once a day
    with CaptureQueriesContext(connection) as queries:
        response = beacon(
            [{"kind": "page_view", "page": "shop"}, {"kind": "product_view", "product": 3}],
            referrer="https://l.instagram.com/?u=x",
        )

    assert response.status_code == 204
    assert response.cookies == {}
    inserts = [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "WITH"))
    ]
    assert len(inserts) == 1, inserts
    with tenant_context(shop_a):
        rows = raw_events()
    assert [(r["kind"], r["page"], r["product_id"], r["source"], r["channel"]) for r in rows] == [
        (1, "shop", None, "l.instagram.com", "meta"),
        (2, "", 3, "l.instagram.com", "meta"),
    ]


def test_no_raw_address_or_user_agent_is_stored(shop_a):
    beacon([{"kind": "page_view", "page": "shop"}], ip=IP, user_agent=PHONE_UA)

    with tenant_context(shop_a):
        rows = raw_events()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'insights_event'"
            )
            columns = {row[0] for row in cursor.fetchall()}
    assert len(rows) == 1
    stored = json.dumps(rows, default=str)
    assert IP not in stored and "iPhone" not in stored and "Safari" not in stored
    assert columns == {
        "occurred_at", "kind", "visitor", "page", "source", "channel", "embed_site",
        "post_id", "poll_id", "product_id", "order_id", "value_minor",
    }  # fmt: skip
    assert isinstance(rows[0]["visitor"], int)


def test_the_visitor_hash_changes_every_day_and_old_salts_are_deleted(shop_a):
    today = datetime.now(UTC).date()
    with tenant_context(shop_a):
        yesterday = visitor_hash(address=IP, user_agent=PHONE_UA, day=today - timedelta(days=1))
        again_yesterday = visitor_hash(
            address=IP, user_agent=PHONE_UA, day=today - timedelta(days=1)
        )
        today_hash = visitor_hash(address=IP, user_agent=PHONE_UA, day=today)
        other_visitor = visitor_hash(address="198.51.100.24", user_agent=PHONE_UA, day=today)
        salts = list(DailySalt.objects.values_list("day", flat=True))
    assert yesterday == again_yesterday
    assert today_hash != yesterday
    assert other_visitor != today_hash
    assert salts == [today]  # yesterday's salt went when today's was made


def test_the_same_visitor_in_two_shops_hashes_apart(shop_a, shop_b):
    with tenant_context(shop_a):
        in_a = visitor_hash(address=IP, user_agent=PHONE_UA)
    with tenant_context(shop_b):
        in_b = visitor_hash(address=IP, user_agent=PHONE_UA)
    assert in_a != in_b


@pytest.mark.parametrize(
    "user_agent",
    [
        "",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36",
        "curl/8.5.0",
    ],
)
def test_bots_are_left_out(shop_a, user_agent):
    response = beacon([{"kind": "page_view", "page": "shop"}], user_agent=user_agent)

    assert response.status_code == 204
    with tenant_context(shop_a):
        assert raw_events() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b"[]", "JSON object"),
        (json.dumps({"events": []}).encode(), "1 to 50"),
        (json.dumps({"events": [{"kind": "page_view"}] * 51}).encode(), "1 to 50"),
        (json.dumps({"events": [{"kind": "purchase"}]}).encode(), "Unknown kind"),
        (json.dumps({"events": [{"kind": "page_view", "page": "admin"}]}).encode(), "Unknown page"),
        (json.dumps({"events": [{"kind": "page_view", "ip": "1.2.3.4"}]}).encode(), "kind, page"),
        (json.dumps({"events": [{"kind": "product_view", "product": -1}]}).encode(), "positive"),
        (json.dumps({"events": [{"kind": "product_view", "product": "7"}]}).encode(), "positive"),
        (json.dumps({"events": [{"kind": "page_view"}], "who": 1}).encode(), "Unknown field"),
        (json.dumps({"events": [{"kind": "page_view"}], "referrer": 5}).encode(), "referrer"),
        (json.dumps({"events": [{"kind": "page_view", "post": {"a": [1]}}]}).encode(), "levels"),
        (b"[" * 3000 + b"]" * 3000, "levels"),
    ],
)
def test_a_beacon_it_does_not_accept_is_a_400_and_writes_nothing(shop_a, body, message):
    response = beacon(None, raw=body)

    assert response.status_code == 400
    assert message in response.json()["detail"]
    with tenant_context(shop_a):
        assert raw_events() == []


def test_an_oversized_beacon_or_another_method_is_refused(shop_a, client):
    padding = "x" * 9000
    too_big = beacon(
        None, raw=json.dumps({"events": [{"kind": "page_view"}], "url": padding}).encode()
    )
    get = client.get("/insights/events/", HTTP_HOST="alpha.localhost")

    assert too_big.status_code == 413
    assert get.status_code == 405
    with tenant_context(shop_a):
        assert raw_events() == []


def test_beacons_over_the_rate_limit_are_a_429(shop_a, settings):
    settings.INSIGHTS_BEACON_RATE = "2/m"
    clear_of_window_end(60)
    answers = [beacon([{"kind": "page_view", "page": "shop"}]).status_code for _ in range(3)]
    in_other_shop = beacon([{"kind": "page_view", "page": "shop"}], slug="beta").status_code

    assert answers == [204, 204, 429]
    assert in_other_shop == 204  # one shop's traffic never counts against another's
    with tenant_context(shop_a):
        assert len(raw_events()) == 2


def test_a_beacon_counts_in_its_own_shop_only(shop_a, shop_b):
    beacon([{"kind": "page_view", "page": "shop"}], slug="beta")

    with tenant_context(shop_a):
        assert raw_events() == []
    with tenant_context(shop_b):
        assert len(raw_events()) == 1


def test_the_posts_own_counters_keep_counting_through_the_beacon(shop_a, media):
    clear_of_window_end(86400)
    with tenant_context(shop_a):
        post = published_post()
    response = beacon(
        [
            {"kind": "post_impression", "post": post.id},
            {"kind": "tag_click", "post": post.id},
            {"kind": "post_impression", "post": 999999},  # not a post of this shop
        ]
    )

    assert response.status_code == 204
    with tenant_context(shop_a):
        assert list(PostDailyStats.objects.values_list("post_id", "impressions", "tag_clicks")) == [
            (post.id, 1, 1)
        ]
        assert len(raw_events()) == 3


def test_an_embedded_page_is_sourced_to_the_embedding_site(shop_a):
    with tenant_context(shop_a):
        beacon_events_record(
            data={
                "events": [{"kind": "page_view", "page": "embed"}],
                "embed": "https://www.blog.example",
            },
            address=IP,
            user_agent=PHONE_UA,
            own_host="alpha.localhost",
        )
        rows = raw_events()
    assert [(r["source"], r["channel"], r["embed_site"]) for r in rows] == [
        ("blog.example", "embed", "blog.example")
    ]


def test_votes_are_recorded_by_the_server_and_not_accepted_from_beacons(shop_a):
    with tenant_context(shop_a):
        poll = a_poll()
        option = poll.options.order_by("id").first()
    shopper = Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR=IP, HTTP_USER_AGENT=PHONE_UA)

    voted = shopper.post(
        f"/api/v1/polls/{poll.id}/vote/",
        {"option": option.id},
        content_type="application/json",
        HTTP_REFERER="https://www.tiktok.com/@alpha",
    )
    forged = beacon([{"kind": "vote", "poll": poll.id}])

    assert voted.status_code == 200, voted.content
    assert forged.status_code == 400
    with tenant_context(shop_a):
        rows = raw_events()
    assert [(r["kind"], r["poll_id"], r["source"], r["channel"]) for r in rows] == [
        (Kind.VOTE, poll.id, "tiktok.com", "tiktok")
    ]
