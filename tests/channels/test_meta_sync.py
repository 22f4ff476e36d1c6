"""The Meta client and the sync engine against the fake Graph API: what is sent for
each kind of change, per-item verdicts, failures that retry without losing anything,
removals, the reconcile, credentials, and isolation between shops."""

from __future__ import annotations

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from catalog.models import CatalogChange, Product, Variant
from catalog.services import product_update, stock_adjust, variant_update
from shops.channels.clients import RetryableError
from shops.channels.models import ChannelItem, Connection
from shops.channels.services import connection_create, connection_test
from shops.channels.sync import connection_reconcile, connection_sync
from shops.channels.tasks import connection_sync as connection_sync_task
from shops.webhooks.models import WebhookEvent
from shops.webhooks.services import subscription_create
from tests.channels.conftest import complete_product, meta_connection


def latest_change_id() -> int:
    return CatalogChange.objects.order_by("-id").values_list("id", flat=True).first()


def states(connection: Connection) -> dict[str, tuple[str, str]]:
    return {
        item.retailer_id: (item.state, item.message)
        for item in ChannelItem.objects.filter(connection=connection)
    }


def test_new_products_are_sent_whole_and_recorded_live(in_shop_a, fake_meta):
    connection = meta_connection(fake_meta)
    product = complete_product()
    small, medium = product.variants.order_by("position")

    result = connection_sync(connection_id=connection.pk)

    assert result.items == 2
    assert len(fake_meta.batches) == 1
    assert fake_meta.items[f"{product.pk}-{small.pk}"] == {
        "id": f"{product.pk}-{small.pk}",
        "title": "Linen Tee",
        "description": "Soft linen, washed & dried.",
        "availability": "in stock",
        "condition": "new",
        "price": "19.90 EUR",
        "link": f"http://alpha.localhost/products/linen-tee/?variant={small.pk}",
        "image_link": fake_meta.items[f"{product.pk}-{small.pk}"]["image_link"],
        "brand": "Etalage",
        "gtin": "4006381333931",
        "mpn": "LT-1",
        "item_group_id": str(product.pk),
        "inventory": 3,
        "size": "S",  # its "Size" option, sent as the size attribute
    }
    assert fake_meta.items[f"{product.pk}-{medium.pk}"]["sale_price"] == "21.00 EUR"
    assert fake_meta.items[f"{product.pk}-{small.pk}"]["image_link"].startswith(
        "http://alpha.localhost/"
    )
    assert states(connection) == {
        f"{product.pk}-{small.pk}": ("live", ""),
        f"{product.pk}-{medium.pk}": ("live", ""),
    }
    connection.refresh_from_db()
    assert connection.outbox_last_id == latest_change_id()
    assert connection.last_sync_at is not None


def test_a_stock_change_sends_only_the_stock(in_shop_a, fake_meta):
    connection = meta_connection(fake_meta)
    product = complete_product()
    connection_sync(connection_id=connection.pk)
    small = product.variants.get(sku="TEE-S")

    stock_adjust(variant=small, delta=-3)
    connection_sync(connection_id=connection.pk)

    # (the other variant, out of stock already, is held by Meta as it is: not sent)
    assert fake_meta.batches[-1] == [
        {
            "method": "UPDATE",
            "data": {
                "id": f"{product.pk}-{small.pk}",
                "availability": "out of stock",
                "inventory": 0,
            },
        },
    ]
    assert fake_meta.items[f"{product.pk}-{small.pk}"]["title"] == "Linen Tee"


def test_a_price_change_sends_only_the_price(in_shop_a, fake_meta):
    connection = meta_connection(fake_meta)
    product = complete_product()
    connection_sync(connection_id=connection.pk)
    medium = product.variants.get(sku="TEE-M")

    variant_update(variant=medium, price="18.00", compare_at_price=None)
    connection_sync(connection_id=connection.pk)

    sent = {request["data"]["id"]: request["data"] for request in fake_meta.batches[-1]}
    assert sent[f"{product.pk}-{medium.pk}"] == {
        "id": f"{product.pk}-{medium.pk}",
        "price": "18.00 EUR",
        "sale_price": "",
    }
    assert fake_meta.items[f"{product.pk}-{medium.pk}"]["price"] == "18.00 EUR"


def test_a_rejected_item_is_recorded_with_the_platforms_message_and_others_go_live(
    in_shop_a, fake_meta
):
    subscription_create(url="https://hooks.example.com/etalage", events=["channel.item_rejected"])
    connection = meta_connection(fake_meta)
    good = complete_product("Linen Tee", sku="TEE")
    bad = complete_product("Wool Scarf", sku="SCARF")
    connection_sync(connection_id=connection.pk)  # both live
    bad_image = fake_meta.items[f"{bad.pk}-{bad.variants.first().pk}"]["image_link"]
    fake_meta.broken_images.add(bad_image)
    fake_meta.items.clear()
    product_update(product=Product.objects.get(pk=bad.pk), title="Wool Scarf XL")
    product_update(product=Product.objects.get(pk=good.pk), title="Linen Tee XL")

    connection_sync(connection_id=connection.pk)

    verdicts = states(connection)
    message = f"Image at URL {bad_image} could not be downloaded (HTTP 404)."
    assert {verdicts[f"{bad.pk}-{v.pk}"] for v in bad.variants.all()} == {("rejected", message)}
    assert {verdicts[f"{good.pk}-{v.pk}"] for v in good.variants.all()} == {("live", "")}
    events = WebhookEvent.objects.filter(type="channel.item_rejected").order_by("id")
    assert [event.data["product_id"] for event in events] == [bad.pk, bad.pk]
    assert events[0].data["message"] == message


def test_a_rejected_item_is_not_sent_again_until_its_product_changes(in_shop_a, fake_meta):
    connection = meta_connection(fake_meta)
    product = complete_product()
    connection_sync(connection_id=connection.pk)
    image = fake_meta.items[f"{product.pk}-{product.variants.first().pk}"]["image_link"]
    fake_meta.broken_images = {image}
    fake_meta.items.clear()
    product_update(product=Product.objects.get(pk=product.pk), title="Tee 2")
    connection_sync(connection_id=connection.pk)
    rejected = {state for state, _ in states(connection).values()}
    batches_before = len(fake_meta.batches)

    connection_sync(connection_id=connection.pk)  # nothing new in the outbox
    connection_reconcile(connection_id=connection.pk)  # the product did not change since
    batches_unchanged = len(fake_meta.batches)
    fake_meta.broken_images = set()
    product_update(product=Product.objects.get(pk=product.pk), title="Tee 3")
    connection_sync(connection_id=connection.pk)

    assert rejected == {"rejected"}
    assert batches_unchanged == batches_before
    assert len(fake_meta.batches) == batches_before + 1
    assert {state for state, _ in states(connection).values()} == {"live"}


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (("429", 7), "(#80004) There have been too many calls to this catalog."),
        (("500",), "An unexpected error has occurred."),
        (("garbage",), "The platform answered something that is not JSON."),
        (("timeout", 3), "No answer within 2 s."),
    ],
)
def test_a_failed_batch_is_kept_and_sent_again(in_shop_a, fake_meta, step, message):
    connection = meta_connection(fake_meta)
    product = complete_product()
    fake_meta.script = [step]

    with pytest.raises(RetryableError) as failure:
        connection_sync(connection_id=connection.pk)
    position_after_failure = Connection.objects.get(pk=connection.pk).outbox_last_id
    connection_sync(connection_id=connection.pk)

    assert failure.value.message == message
    assert failure.value.retry_after == (7 if step[0] == "429" else None)
    assert position_after_failure == connection.outbox_last_id
    assert ChannelItem.objects.filter(connection=connection, state="live").count() == 2
    assert set(fake_meta.items) == {f"{product.pk}-{v.pk}" for v in product.variants.all()}
    assert Connection.objects.get(pk=connection.pk).outbox_last_id == latest_change_id()


def test_archiving_a_product_or_removing_a_variant_deletes_it_on_the_platform(in_shop_a, fake_meta):
    connection = meta_connection(fake_meta)
    kept = complete_product("Linen Tee", sku="TEE")
    archived = complete_product("Wool Scarf", sku="SCARF")
    connection_sync(connection_id=connection.pk)
    gone_variant = kept.variants.get(sku="TEE-M")
    gone_id = f"{kept.pk}-{gone_variant.pk}"

    product_update(product=Product.objects.get(pk=archived.pk), status="archived")
    from catalog.services import variant_delete

    variant_delete(variant=gone_variant)
    connection_sync(connection_id=connection.pk)

    small = kept.variants.get(sku="TEE-S")
    assert set(fake_meta.items) == {f"{kept.pk}-{small.pk}"}
    assert states(connection)[gone_id] == ("removed", "")
    assert {states(connection)[f"{archived.pk}-{v.pk}"] for v in archived.variants.all()} == {
        ("removed", "")
    }


def test_reconcile_repairs_drift_on_the_platform(in_shop_a, fake_meta):
    connection = meta_connection(fake_meta)
    product = complete_product()
    connection_sync(connection_id=connection.pk)
    small, medium = product.variants.order_by("position")
    fake_meta.items.pop(f"{product.pk}-{small.pk}")  # lost on the platform's side
    fake_meta.items["999-999"] = {"id": "999-999", "title": "Stray"}
    ChannelItem.objects.create(
        connection=connection, retailer_id="999-999", product_id=999, variant_id=999, state="live"
    )
    Variant.objects.filter(pk=medium.pk).update(stock=9)  # written around the outbox
    batches_before = len(fake_meta.batches)
    ChannelItem.objects.filter(retailer_id=f"{product.pk}-{small.pk}").update(sent={})

    result = connection_reconcile(connection_id=connection.pk)

    assert result.items == 3
    assert len(fake_meta.batches) == batches_before + 1
    assert fake_meta.items[f"{product.pk}-{medium.pk}"]["inventory"] == 9
    assert f"{product.pk}-{small.pk}" in fake_meta.items
    assert "999-999" not in fake_meta.items


def test_reconcile_resends_whole_an_item_whose_other_fields_changed_and_nothing_else(
    in_shop_a, fake_meta
):
    connection = meta_connection(fake_meta)
    products = [complete_product(f"Tee {number}", sku=f"TEE{number}") for number in range(3)]
    connection_sync(connection_id=connection.pk)
    renamed = products[1]
    stock_adjust(variant=products[2].variants.get(sku="TEE2-S"), delta=-1)  # stock only
    connection_sync(connection_id=connection.pk)
    batches = len(fake_meta.batches)
    with CaptureQueriesContext(db_connection) as three_products:
        in_step = connection_reconcile(connection_id=connection.pk)
    Product.objects.filter(pk=renamed.pk).update(title="Tee One, renamed")  # no outbox row

    repaired = connection_reconcile(connection_id=connection.pk)
    repair_batch = fake_meta.batches[batches:]
    again = connection_reconcile(connection_id=connection.pk)
    for number in range(3, 6):  # twice the products: the reconcile's queries stay as many
        complete_product(f"Tee {number}", sku=f"TEE{number}")
    connection_sync(connection_id=connection.pk)
    with CaptureQueriesContext(db_connection) as six_products:
        connection_reconcile(connection_id=connection.pk)

    ids = {f"{renamed.pk}-{variant.pk}" for variant in renamed.variants.all()}
    assert in_step.items == 0 and again.items == 0  # the stock-only send kept its fingerprint
    assert repaired.items == 2 and len(repair_batch) == 1
    assert {request["data"]["id"] for request in repair_batch[0]} == ids
    for request in repair_batch[0]:  # a whole item, not a stock or price update
        assert {"title", "description", "link", "image_link", "price", "inventory"} <= set(
            request["data"]
        )
    assert {fake_meta.items[retailer]["title"] for retailer in ids} == {"Tee One, renamed"}
    assert len(six_products.captured_queries) == len(three_products.captured_queries)


def test_items_stored_before_fingerprints_get_theirs_a_few_at_a_time(
    in_shop_a, fake_meta, settings
):
    settings.CHANNELS_RECONCILE_BACKFILL_ITEMS = 4
    connection = meta_connection(fake_meta)
    for number in range(3):
        complete_product(f"Tee {number}", sku=f"TEE{number}")
    connection_sync(connection_id=connection.pk)
    ChannelItem.objects.update(fingerprint="")  # as the items were before the deploy

    sent = [connection_reconcile(connection_id=connection.pk).items for _ in range(3)]

    assert sent == [4, 2, 0]  # 6 variants, at most 4 per reconcile, each sent once
    assert not ChannelItem.objects.filter(fingerprint="").exists()


def test_connection_test_says_clearly_when_the_token_is_wrong(in_shop_a, fake_meta):
    right = meta_connection(fake_meta)
    right_result = connection_test(connection=right)
    right.delete()
    wrong = connection_create(channel="meta", access_token="expired", external_id="1234567890")

    wrong_result = connection_test(connection=wrong)

    assert (right_result.is_ok, right_result.message) == (
        True,
        "Connected to “Fake catalog”.",
    )
    assert (wrong_result.is_ok, wrong_result.message) == (
        False,
        "Meta refused the access token: Invalid OAuth access token - Cannot parse access token",
    )


def test_a_wrong_token_during_sync_marks_the_connection_failing_and_loses_nothing(
    in_shop_a, fake_meta
):
    connection = connection_create(channel="meta", access_token="expired", external_id="1234567890")
    complete_product()
    position = connection.outbox_last_id

    assert connection_sync_task.apply(args=[connection.pk]).get() == "failed"

    connection.refresh_from_db()
    assert connection.status == "failing"
    assert "Invalid OAuth access token" in connection.last_error
    assert connection.outbox_last_id == position


def test_a_sync_for_shop_a_never_reads_shop_bs_catalog(
    shop_a, shop_b, fake_meta, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with tenant_context(shop_b):
        complete_product("Beta Mug", sku="BMUG")
    with tenant_context(shop_a):
        connection = meta_connection(fake_meta)
        complete_product("Alpha Tee", sku="ATEE")
        connection_sync(connection_id=connection.pk)
    db_connection.set_schema_to_public()

    assert {item["title"] for item in fake_meta.items.values()} == {"Alpha Tee"}
