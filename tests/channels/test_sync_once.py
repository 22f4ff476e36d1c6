"""A change is sent once, whichever of the outbox sync and the reconcile ("sync now")
reads it first (a platform that was down: both retry, in either order)."""

from __future__ import annotations

import pytest

from catalog.models import Product
from catalog.services import product_update, stock_adjust
from shops.channels.models import Connection
from shops.channels.sync import connection_reconcile, connection_sync
from tests.channels.conftest import complete_product, meta_connection, tiktok_connection


def _sent_meta(fake) -> list[str]:
    return [entry["data"]["id"] for batch in fake.batches for entry in batch]


def _sent_tiktok(fake) -> list[str]:
    return [
        sku["seller_sku"]
        for method, _path, body in fake.calls
        if method == "PUT"
        for sku in body["skus"]
    ]


@pytest.mark.parametrize(
    ("fake_name", "connect", "sent"),
    [("fake_meta", meta_connection, _sent_meta), ("fake_tiktok", tiktok_connection, _sent_tiktok)],
    ids=["meta", "tiktok"],
)
@pytest.mark.parametrize("reconcile_first", [True, False], ids=["reconcile-first", "sync-first"])
def test_a_change_reaches_the_platform_once_whether_the_reconcile_or_the_sync_reads_it_first(
    in_shop_a, request, fake_name, connect, sent, reconcile_first
):
    # given: a product live on the platform
    fake = request.getfixturevalue(fake_name)
    connection = connect(fake)
    Connection.objects.filter(pk=connection.pk).update(outbox_last_id=0)
    product = complete_product()
    connection_sync(connection_id=connection.pk)
    before = len(sent(fake))

    # when: it changes, and both the reconcile and the outbox sync run
    product_update(product=Product.objects.get(pk=product.pk), title="Linen Tee II")
    stock_adjust(variant=product.variants.get(sku="TEE-S"), delta=-1)
    steps = [connection_reconcile, connection_sync]
    for step in steps if reconcile_first else reversed(steps):
        step(connection_id=connection.pk)

    # then: each item went once
    retailer_ids = [f"{product.pk}-{variant.pk}" for variant in product.variants.all()]
    assert sorted(sent(fake)[before:]) == sorted(retailer_ids)
