"""The Pinterest client and the sync engine against the fake API v5."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from catalog.models import Product
from catalog.services import product_update, stock_adjust
from shops.channels.clients import RetryableError
from shops.channels.models import ChannelItem
from shops.channels.services import connection_create, connection_test
from shops.channels.sync import connection_sync
from tests.channels.conftest import complete_product, pinterest_connection
from tests.channels.fake_pinterest import FakePinterest


@pytest.fixture
def fake_pinterest(settings) -> Iterator[FakePinterest]:
    fake = FakePinterest()
    settings.CHANNELS_PINTEREST_API_BASE = fake.url
    settings.CHANNELS_TIMEOUT_SECONDS = 2
    settings.CHANNELS_BATCH_POLL_SECONDS = 0.01
    yield fake
    fake.stop()


def test_items_are_upserted_then_stock_changes_sent_as_updates_with_a_mask(
    in_shop_a, fake_pinterest
):
    connection = pinterest_connection(fake_pinterest)
    product = complete_product()
    small = product.variants.get(sku="TEE-S")
    connection_sync(connection_id=connection.pk)

    stock_adjust(variant=small, delta=-3)
    connection_sync(connection_id=connection.pk)

    first, second = fake_pinterest.batches
    assert (first["country"], first["language"], first["operation"]) == ("DE", "DE", "UPSERT")
    item_id = f"{product.pk}-{small.pk}"
    upserted = next(item for item in first["items"] if item["item_id"] == item_id)
    assert upserted["attributes"]["price"] == "19.90 EUR"
    assert upserted["attributes"]["image_link"][0].startswith("http://alpha.localhost/")
    assert second["operation"] == "UPDATE"
    assert second["items"][0] == {
        "item_id": item_id,
        "attributes": {"availability": "out of stock"},
        "update_mask": ["availability"],
    }
    assert fake_pinterest.items[item_id]["availability"] == "out of stock"
    assert fake_pinterest.items[item_id]["title"] == "Linen Tee"
    assert ChannelItem.objects.filter(connection=connection, state="live").count() == 2


def test_an_item_pinterest_refuses_is_rejected_with_its_message(in_shop_a, fake_pinterest):
    connection = pinterest_connection(fake_pinterest)
    product = complete_product()
    connection_sync(connection_id=connection.pk)
    image = next(iter(fake_pinterest.items.values()))["image_link"][0]
    fake_pinterest.broken_images.add(image)
    fake_pinterest.items.clear()
    product_update(product=Product.objects.get(pk=product.pk), title="Linen Tee II")

    connection_sync(connection_id=connection.pk)

    assert {(item.state, item.message) for item in ChannelItem.objects.all()} == {
        ("rejected", f"Image {image} could not be downloaded (HTTP 404).")
    }
    assert fake_pinterest.items == {}


@pytest.mark.parametrize("step", [("429", 30), ("500",), ("garbage",)])
def test_a_failed_pinterest_batch_is_retried_and_nothing_is_lost(in_shop_a, fake_pinterest, step):
    connection = pinterest_connection(fake_pinterest)
    complete_product()
    fake_pinterest.script = [step]

    with pytest.raises(RetryableError) as failure:
        connection_sync(connection_id=connection.pk)
    connection_sync(connection_id=connection.pk)

    assert failure.value.retry_after == (30 if step[0] == "429" else None)
    assert len(fake_pinterest.items) == 2


def test_a_wrong_pinterest_token_is_reported_on_test(in_shop_a, fake_pinterest):
    connection = connection_create(channel="pinterest", access_token="nope")

    result = connection_test(connection=connection)

    assert (result.is_ok, result.message) == (
        False,
        "Pinterest refused the access token: Authentication failed.",
    )


def test_an_item_whose_link_outgrows_511_characters_is_removed_not_cut(
    in_shop_a, fake_pinterest, settings
):
    connection = pinterest_connection(fake_pinterest)
    short = complete_product("Linen Tee", sku="TEE")
    growing = complete_product("Wool Scarf", sku="SCARF")
    connection_sync(connection_id=connection.pk)
    assert len(fake_pinterest.items) == 4

    product_update(product=Product.objects.get(pk=growing.pk), slug="x" * 255)
    settings.PLATFORM_DOMAIN = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 40, "example"])
    connection_sync(connection_id=connection.pk)  # the slug change is in the outbox

    assert {item_id.split("-")[0] for item_id in fake_pinterest.items} == {str(short.pk)}
    assert all(len(item["link"]) <= 511 for item in fake_pinterest.items.values())
    states = dict(
        ChannelItem.objects.filter(product_id=growing.pk).values_list("state", "product_id")
    )
    assert list(states) == ["removed"]
