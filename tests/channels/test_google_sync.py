"""The Google Merchant API client and the sync engine against the fake product inputs."""

from __future__ import annotations

import pytest

from catalog.models import Product
from catalog.services import product_update, variant_update
from orders.services.shipping import (
    shipping_rate_create,
    shipping_rate_update,
    shipping_zone_create,
)
from shops.channels.clients import RetryableError
from shops.channels.models import ChannelItem
from shops.channels.services import connection_create, connection_test
from shops.channels.sync import connection_sync
from tests.channels.conftest import complete_product, google_connection, meta_connection


def test_products_go_in_as_inputs_with_micros_and_a_price_change_is_a_masked_patch(
    in_shop_a, fake_google
):
    connection = google_connection(fake_google)
    product = complete_product()
    medium = product.variants.get(sku="TEE-M")
    name = f"accounts/4242/productInputs/fr~FR~{product.pk}-{medium.pk}"
    connection_sync(connection_id=connection.pk)
    inserted = dict(fake_google.products[name])

    variant_update(variant=medium, price="18.00", compare_at_price=None)
    connection_sync(connection_id=connection.pk)

    assert inserted["price"] == {"amountMicros": "25000000", "currencyCode": "EUR"}
    assert inserted["salePrice"] == {"amountMicros": "21000000", "currencyCode": "EUR"}
    assert inserted["availability"] == "OUT_OF_STOCK"
    assert inserted["gtins"] == ["4006381333948"]  # the medium variant's own barcode
    assert inserted["sizes"] == ["M"]
    assert inserted["itemGroupId"] == str(product.pk)
    method, path, body = fake_google.calls[-1]
    assert (method, path) == ("PATCH", f"/products/v1/{name}")
    assert body == {
        "productAttributes": {"price": {"amountMicros": "18000000", "currencyCode": "EUR"}}
    }
    assert fake_google.products[name]["price"]["amountMicros"] == "18000000"
    assert "salePrice" not in fake_google.products[name]
    assert fake_google.products[name]["title"] == "Linen Tee"


def test_archiving_deletes_the_inputs(in_shop_a, fake_google):
    connection = google_connection(fake_google)
    product = complete_product()
    connection_sync(connection_id=connection.pk)

    product_update(product=Product.objects.get(pk=product.pk), status="archived")
    connection_sync(connection_id=connection.pk)

    assert fake_google.products == {}
    assert set(ChannelItem.objects.values_list("state", flat=True)) == {"removed"}


def test_a_quota_error_keeps_the_batch_for_a_retry(in_shop_a, fake_google):
    connection = google_connection(fake_google)
    complete_product()
    fake_google.script = [("429", 12)]

    with pytest.raises(RetryableError) as failure:
        connection_sync(connection_id=connection.pk)
    connection_sync(connection_id=connection.pk)

    assert (failure.value.message, failure.value.retry_after) == ("Quota exceeded.", 12)
    assert len(fake_google.products) == 2


def test_a_wrong_google_token_is_reported_on_test(in_shop_a, fake_google):
    connection = connection_create(channel="google", access_token="old", external_id="4242/77")

    result = connection_test(connection=connection)

    assert result.message == (
        "Google refused the access token: Request had invalid authentication credentials."
    )


def test_a_shipping_rate_change_resends_the_items_whose_shipping_changed(
    in_shop_a, fake_google, django_capture_on_commit_callbacks
):
    # given: an item in Google with the shipping to France at 4.90
    europe = shipping_zone_create(name="Europe", countries=["FR"])
    rate = shipping_rate_create(zone=europe, name="Standard", price="4.90")
    connection = google_connection(fake_google)
    product = complete_product()
    connection_sync(connection_id=connection.pk)
    name = f"accounts/4242/productInputs/fr~FR~{product.pk}-{product.variants.first().pk}"
    assert fake_google.products[name]["shipping"] == [
        {"country": "FR", "price": {"amountMicros": "4900000", "currencyCode": "EUR"}}
    ]
    calls = len(fake_google.calls)

    # when: the rate changes, and the change commits (a reconcile is queued; tasks run at once)
    with django_capture_on_commit_callbacks(execute=True):
        shipping_rate_update(rate=rate, price="6.50")

    # then: Google holds the new shipping price, without a product having changed
    assert len(fake_google.calls) > calls
    assert fake_google.products[name]["shipping"] == [
        {"country": "FR", "price": {"amountMicros": "6500000", "currencyCode": "EUR"}}
    ]


def test_a_shipping_rate_change_queues_nothing_for_channels_without_shipping(
    in_shop_a, fake_meta, django_capture_on_commit_callbacks
):
    europe = shipping_zone_create(name="Europe", countries=["FR"])
    rate = shipping_rate_create(zone=europe, name="Standard", price="4.90")
    meta_connection(fake_meta)
    with django_capture_on_commit_callbacks() as callbacks:
        shipping_rate_update(rate=rate, price="6.50")

    # only the feeds' stamp: no sync of Meta, whose items carry no shipping
    assert len(callbacks) == 1
