"""Channels in the partner API: connections with their status and item counts (never
the credentials nor the feed token), items per channel with their state and the
platform's message, filters, constant queries per page, and shops kept apart."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from shops.channels.models import ChannelItem
from tests.api.conftest import ApiClient, a_connection, error_of


@pytest.fixture
def channels_api(shop_a, make_key) -> ApiClient:
    return ApiClient("alpha", make_key(shop_a, ["channels:read"]))


def test_connections_show_status_and_counts_but_never_secrets(shop_a, channels_api):
    with tenant_context(shop_a):
        meta = a_connection(
            "meta",
            items=[
                ("1-1", 1, "live", ""),
                ("1-2", 1, "warning", "Missing GTIN"),
                ("2-1", 2, "rejected", "Image too small"),
                ("3-1", 3, "pending", ""),
            ],
        )
        a_connection("google")

    listed = channels_api.get("/api/v1/channels/")
    detail = channels_api.get("/api/v1/channels/meta/")
    unknown = channels_api.get("/api/v1/channels/myspace/")

    assert [c["channel"] for c in listed.json()["results"]] == ["meta", "google"]
    assert detail.json()["items"] == {"live": 2, "pending": 1, "rejected": 1}
    assert listed.json()["results"][1]["items"] == {"live": 0, "pending": 0, "rejected": 0}
    assert detail.json()["status"] == "active" and detail.json()["external_id"] == "123"
    for text in (listed.content.decode(), detail.content.decode()):
        assert meta.feed_token not in text
        assert meta.credentials_encrypted not in text and "meta-token-secret" not in text
    assert "feed_token" not in detail.json() and "credentials_encrypted" not in detail.json()
    assert unknown.status_code == 404


def test_items_filter_by_state_product_and_message(shop_a, channels_api):
    with tenant_context(shop_a):
        a_connection(
            "meta",
            items=[
                ("1-1", 1, "live", ""),
                ("2-1", 2, "rejected", "Image too small (min 500x500)"),
                ("2-2", 2, "rejected", "Price is missing"),
                ("3-1", 3, "pending", ""),
            ],
        )
        a_connection("pinterest", items=[("9-1", 9, "rejected", "Image too small")])

    every = channels_api.get("/api/v1/channels/meta/items/")
    rejected = channels_api.get("/api/v1/channels/meta/items/", {"state": "rejected"})
    of_product = channels_api.get("/api/v1/channels/meta/items/", {"product": 2})
    by_message = channels_api.get("/api/v1/channels/meta/items/", {"message": "IMAGE TOO"})
    bad_state = channels_api.get("/api/v1/channels/meta/items/", {"state": "gone"})
    not_connected = channels_api.get("/api/v1/channels/tiktok/items/")
    one = channels_api.get(f"/api/v1/channels/meta/items/{rejected.json()['results'][0]['id']}/")

    def retailer_ids(response) -> list[str]:
        return [item["retailer_id"] for item in response.json()["results"]]

    assert retailer_ids(every) == ["1-1", "2-1", "2-2", "3-1"]
    assert retailer_ids(rejected) == ["2-1", "2-2"]
    assert retailer_ids(of_product) == ["2-1", "2-2"]
    assert retailer_ids(by_message) == ["2-1"]
    assert one.json() | {"id": 0, "sent_at": None} == {
        "id": 0,
        "channel": "meta",
        "retailer_id": "2-1",
        "product_id": 2,
        "variant_id": None,
        "state": "rejected",
        "message": "Image too small (min 500x500)",
        "sent_at": None,
    }
    assert (bad_state.status_code, error_of(bad_state)["field"]) == (400, "state")
    assert not_connected.status_code == 404
    assert "tiktok" in error_of(not_connected)["message"]


def test_an_item_of_another_channel_is_404_under_this_one(shop_a, channels_api):
    with tenant_context(shop_a):
        a_connection("meta", items=[("1-1", 1, "live", "")])
        pinterest = a_connection("pinterest", items=[("1-1", 1, "rejected", "No")])
        pinterest_item = pinterest.items.get()

    wrong_channel = channels_api.get(f"/api/v1/channels/meta/items/{pinterest_item.pk}/")

    assert wrong_channel.status_code == 404


@pytest.mark.parametrize("count", [3, 40])
def test_list_query_counts_are_constant(shop_a, channels_api, count, django_assert_num_queries):
    with tenant_context(shop_a):
        items = [(f"{n}-1", n, "live", "") for n in range(count)]
        a_connection("meta", items=items)
        a_connection("google", items=items)
    channels_api.get("/api/v1/channels/")  # the key's last use is recorded once a minute

    # SET search_path, the key, the connection, the items (the shop by host is cached)
    with django_assert_num_queries(4):
        response = channels_api.get("/api/v1/channels/meta/items/", {"limit": 100})
    # SET search_path, the key, the connections with their counts
    with django_assert_num_queries(3):
        connections = channels_api.get("/api/v1/channels/")

    assert len(response.json()["results"]) == count
    assert [c["items"]["live"] for c in connections.json()["results"]] == [count, count]


def test_a_key_of_shop_a_never_sees_shop_bs_channel_items(shop_a, shop_b, make_key):
    with tenant_context(shop_b):
        theirs = a_connection(
            "meta", items=[(f"{n}-1", n, "rejected", "Beta secret") for n in range(1, 5)]
        )
        their_item = theirs.items.order_by("id").last()
    with tenant_context(shop_a):
        a_connection("meta", items=[("1-1", 1, "live", "Alpha")])
        assert not ChannelItem.objects.filter(pk=their_item.pk).exists()
    api = ApiClient("alpha", make_key(shop_a, ["channels:read"]))

    listed = api.get("/api/v1/channels/meta/items/")
    detail = api.get(f"/api/v1/channels/meta/items/{their_item.pk}/")
    connection = api.get("/api/v1/channels/meta/")

    assert [item["message"] for item in listed.json()["results"]] == ["Alpha"]
    assert "Beta secret" not in listed.content.decode()
    assert detail.status_code == 404
    assert connection.json()["items"] == {"live": 1, "pending": 0, "rejected": 0}
