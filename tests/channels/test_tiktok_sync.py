"""The TikTok Shop client and the sync engine against the fake Partner API: products
created with their SKUs, stock-only and price-only changes through their own endpoints,
images uploaded once, per-product rejections (TikTok's refusals, an image that 404s),
removals, failures that retry without losing or duplicating anything, credentials, and
isolation between shops."""

from __future__ import annotations

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from catalog.models import CatalogChange, Product, ProductImage
from catalog.services import (
    VariantInput,
    product_update,
    stock_adjust,
    variant_delete,
    variant_update,
)
from shops.channels.clients import RetryableError
from shops.channels.models import ChannelItem, Connection
from shops.channels.services import (
    connection_create,
    connection_pushes,
    connection_test,
    connection_update,
    tiktok_credentials,
)
from shops.channels.sync import connection_reconcile, connection_sync
from shops.channels.tasks import connection_sync as connection_sync_task
from shops.webhooks.models import WebhookEvent
from shops.webhooks.services import subscription_create
from tests.channels.conftest import complete_product, tiktok_connection

ROOT = "/product/202309/products"


def states(connection: Connection) -> dict[str, tuple[str, str]]:
    return {
        item.retailer_id: (item.state, item.message)
        for item in ChannelItem.objects.filter(connection=connection)
    }


def latest_change_id() -> int:
    return CatalogChange.objects.order_by("-id").values_list("id", flat=True).first()


def only_product(fake) -> dict:
    (product,) = fake.products.values()
    return product


def calls_after(fake, start: int) -> list[tuple[str, str]]:
    return [(method, path) for method, path, _ in fake.calls[start:]]


def test_a_product_is_created_with_its_skus_and_its_ids_are_kept(in_shop_a, fake_tiktok):
    connection = tiktok_connection(fake_tiktok)
    product = complete_product()
    small, medium = product.variants.order_by("position")

    result = connection_sync(connection_id=connection.pk)

    assert result.items == 2
    assert calls_after(fake_tiktok, 0) == [("POST", f"{ROOT}/search"), ("POST", ROOT)]
    created = only_product(fake_tiktok)
    assert created["title"] == "Linen Tee"
    assert created["description"] == "<p>Soft <b>linen</b>, washed &amp; dried.</p>"
    assert created["category_id"] == fake_tiktok.category_id
    assert created["main_images"] == [{"uri": fake_tiktok.uploads[0]}]
    skus = {sku["seller_sku"]: sku for sku in created["skus"].values()}
    warehouse = fake_tiktok.warehouse_id
    assert {
        rid: (s["price"], s["inventory"], s["sales_attributes"]) for rid, s in skus.items()
    } == {
        f"{product.pk}-{small.pk}": (
            {"amount": "19.90", "currency": "EUR"},
            [{"warehouse_id": warehouse, "quantity": 3}],
            [{"name": "Size", "value_name": "S"}],
        ),
        f"{product.pk}-{medium.pk}": (
            {"amount": "21.00", "currency": "EUR"},  # the sale price
            [{"warehouse_id": warehouse, "quantity": 0}],
            [{"name": "Size", "value_name": "M"}],
        ),
    }
    # each SKU with its own barcode
    assert [skus[f"{product.pk}-{v.pk}"]["identifier_code"] for v in (small, medium)] == [
        {"code": "4006381333931", "type": "EAN"},
        {"code": "4006381333948", "type": "EAN"},
    ]
    stored = {item.retailer_id: item for item in ChannelItem.objects.filter(connection=connection)}
    assert {
        rid: (item.state, item.external["product_id"], item.external["sku_id"])
        for rid, item in stored.items()
    } == {rid: ("live", created["id"], sku["id"]) for rid, sku in skus.items()}
    connection.refresh_from_db()
    assert connection.outbox_last_id == latest_change_id()


def test_products_carry_tiktoks_brand_found_by_name_or_created_once(in_shop_a, fake_tiktok):
    connection = tiktok_connection(fake_tiktok)
    known = next(iter(fake_tiktok.brands))  # "Etalage", in TikTok's brand library
    fake_tiktok.brand_add("Banned Maker", status="UNAVAILABLE")
    products = {
        "known": complete_product("Linen Tee", sku="TEE", brand="etalage"),
        "new": complete_product("Wool Scarf", sku="SCARF", brand="Maison Lin"),
        "new too": complete_product("Wool Hat", sku="HAT", brand="Maison Lin"),
        "unavailable": complete_product("Fur Hat", sku="FUR", brand="Banned Maker"),
        "too long": complete_product("Cap", sku="CAP", brand="A Very Long Brand Name Of Caps Co"),
    }

    connection_sync(connection_id=connection.pk)

    sent = {
        name: next(p for p in fake_tiktok.products.values() if p["title"] == product.title)
        for name, product in products.items()
    }
    created = [body for method, path, body in fake_tiktok.calls if path.endswith("/brands")]
    assert created == [{"name": "Maison Lin"}]  # once for its two products
    maison = next(b["id"] for b in fake_tiktok.brands.values() if b["name"] == "Maison Lin")
    assert {name: body.get("brand_id") for name, body in sent.items()} == {
        "known": known,
        "new": maison,
        "new too": maison,
        "unavailable": None,
        "too long": None,
    }
    assert {state for state, _ in states(connection).values()} == {"live"}  # all listed


def test_a_stock_change_sends_only_an_inventory_update(in_shop_a, fake_tiktok):
    connection = tiktok_connection(fake_tiktok)
    product = complete_product()
    connection_sync(connection_id=connection.pk)
    small = product.variants.get(sku="TEE-S")
    before = len(fake_tiktok.calls)

    stock_adjust(variant=small, delta=4)
    connection_sync(connection_id=connection.pk)

    sku_id = ChannelItem.objects.get(retailer_id=f"{product.pk}-{small.pk}").external["sku_id"]
    product_id = only_product(fake_tiktok)["id"]
    assert calls_after(fake_tiktok, before) == [("POST", f"{ROOT}/{product_id}/inventory/update")]
    sent = fake_tiktok.calls[-1][2]["skus"]
    assert {
        "id": sku_id,
        "inventory": [{"warehouse_id": fake_tiktok.warehouse_id, "quantity": 7}],
    } in sent
    assert only_product(fake_tiktok)["skus"][sku_id]["inventory"][0]["quantity"] == 7
    assert fake_tiktok.uploads == fake_tiktok.uploads[:1]  # no image sent again


def test_a_price_change_sends_only_a_price_update(in_shop_a, fake_tiktok):
    connection = tiktok_connection(fake_tiktok)
    product = complete_product()
    connection_sync(connection_id=connection.pk)
    medium = product.variants.get(sku="TEE-M")
    before = len(fake_tiktok.calls)

    variant_update(variant=medium, price="18.00", compare_at_price=None)
    connection_sync(connection_id=connection.pk)

    sku_id = ChannelItem.objects.get(retailer_id=f"{product.pk}-{medium.pk}").external["sku_id"]
    product_id = only_product(fake_tiktok)["id"]
    assert calls_after(fake_tiktok, before) == [("POST", f"{ROOT}/{product_id}/prices/update")]
    sent = {sku["id"]: sku for sku in fake_tiktok.calls[-1][2]["skus"]}
    assert sent[sku_id] == {"id": sku_id, "price": {"amount": "18.00", "currency": "EUR"}}
    assert all(set(sku) == {"id", "price"} for sku in sent.values())
    assert only_product(fake_tiktok)["skus"][sku_id]["price"]["amount"] == "18.00"


def test_the_image_is_uploaded_once_and_its_uri_reused_by_later_edits(in_shop_a, fake_tiktok):
    connection = tiktok_connection(fake_tiktok)
    product = complete_product()
    connection_sync(connection_id=connection.pk)
    before = len(fake_tiktok.calls)

    product_update(product=Product.objects.get(pk=product.pk), title="Linen Tee II")
    connection_sync(connection_id=connection.pk)
    connection_reconcile(connection_id=connection.pk)  # nothing drifted: nothing sent

    product_id = only_product(fake_tiktok)["id"]
    assert calls_after(fake_tiktok, before) == [("PUT", f"{ROOT}/{product_id}")]
    assert len(fake_tiktok.uploads) == 1
    assert only_product(fake_tiktok)["main_images"] == [{"uri": fake_tiktok.uploads[0]}]
    assert only_product(fake_tiktok)["title"] == "Linen Tee II"
    assert len(only_product(fake_tiktok)["skus"]) == 2  # the same SKUs, edited


def test_a_product_tiktok_refuses_is_rejected_with_its_message_and_others_go_live(
    in_shop_a, fake_tiktok
):
    subscription_create(url="https://hooks.example.com/etalage", events=["channel.item_rejected"])
    connection = tiktok_connection(fake_tiktok)
    good = complete_product("Linen Tee", sku="TEE")
    dear = complete_product(
        "Gold Scarf",
        sku="GOLD",
        variants=[VariantInput(sku="GOLD-1", price="9000.00", stock=1, options=("One",))],
    )

    connection_sync(connection_id=connection.pk)

    verdicts = states(connection)
    message = "The SKU price must be between 0.01 and 7600."
    assert {verdicts[f"{dear.pk}-{v.pk}"] for v in dear.variants.all()} == {("rejected", message)}
    assert {verdicts[f"{good.pk}-{v.pk}"] for v in good.variants.all()} == {("live", "")}
    assert only_product(fake_tiktok)["title"] == "Linen Tee"
    assert calls_after(fake_tiktok, 0) == [("POST", f"{ROOT}/search"), ("POST", ROOT)]
    events = WebhookEvent.objects.filter(type="channel.item_rejected")
    assert [(e.data["product_id"], e.data["message"]) for e in events] == [(dear.pk, message)]


def test_an_image_that_404s_rejects_its_product_only(in_shop_a, fake_tiktok):
    connection = tiktok_connection(fake_tiktok)
    good = complete_product("Linen Tee", sku="TEE")
    broken = complete_product("Wool Scarf", sku="SCARF")
    image = ProductImage.objects.get(product=broken)
    image.image.storage.delete(image.image.name)  # the file is gone from the storage

    connection_sync(connection_id=connection.pk)

    verdicts = states(connection)
    (message,) = {verdicts[f"{broken.pk}-{v.pk}"][1] for v in broken.variants.all()}
    assert message.startswith("The image http://alpha.localhost/")
    assert message.endswith(" could not be fetched (HTTP 404).")
    assert {verdicts[f"{broken.pk}-{v.pk}"][0] for v in broken.variants.all()} == {"rejected"}
    assert {verdicts[f"{good.pk}-{v.pk}"] for v in good.variants.all()} == {("live", "")}
    assert [p["title"] for p in fake_tiktok.products.values()] == ["Linen Tee"]


def test_archiving_deletes_the_product_and_removing_a_variant_edits_it_out(in_shop_a, fake_tiktok):
    connection = tiktok_connection(fake_tiktok)
    kept = complete_product("Linen Tee", sku="TEE")
    archived = complete_product("Wool Scarf", sku="SCARF")
    connection_sync(connection_id=connection.pk)
    archived_id = ChannelItem.objects.filter(product_id=archived.pk).first().external["product_id"]
    gone = kept.variants.get(sku="TEE-M")
    gone_id = f"{kept.pk}-{gone.pk}"
    before = len(fake_tiktok.calls)

    product_update(product=Product.objects.get(pk=archived.pk), status="archived")
    variant_delete(variant=gone)
    connection_sync(connection_id=connection.pk)

    kept_id = ChannelItem.objects.filter(product_id=kept.pk).first().external["product_id"]
    assert sorted(calls_after(fake_tiktok, before)) == [
        ("DELETE", ROOT),
        ("PUT", f"{ROOT}/{kept_id}"),
    ]
    assert set(fake_tiktok.products) == {kept_id}
    assert [s["seller_sku"] for s in fake_tiktok.products[kept_id]["skus"].values()] == [
        f"{kept.pk}-{kept.variants.get(sku='TEE-S').pk}"
    ]
    verdicts = states(connection)
    assert verdicts[gone_id] == ("removed", "")
    assert {verdicts[f"{archived.pk}-{v.pk}"] for v in archived.variants.all()} == {("removed", "")}
    assert archived_id not in fake_tiktok.products


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (("429", 7), "Too many requests. Please retry later."),
        (("500",), "Internal system error, please retry."),
        (("garbage",), "The platform answered something that is not JSON."),
        (("timeout", 3), "No answer within 2 s."),
    ],
)
def test_a_failed_call_is_kept_and_sent_again(in_shop_a, fake_tiktok, step, message):
    connection = tiktok_connection(fake_tiktok)
    complete_product()
    fake_tiktok.script = [step]

    with pytest.raises(RetryableError) as failure:
        connection_sync(connection_id=connection.pk)
    position_after_failure = Connection.objects.get(pk=connection.pk).outbox_last_id
    items_after_failure = ChannelItem.objects.filter(connection=connection).count()
    connection_sync(connection_id=connection.pk)

    assert failure.value.message == message
    assert failure.value.retry_after == (7 if step[0] == "429" else None)
    assert (position_after_failure, items_after_failure) == (connection.outbox_last_id, 0)
    assert ChannelItem.objects.filter(connection=connection, state="live").count() == 2
    assert len(only_product(fake_tiktok)["skus"]) == 2
    assert Connection.objects.get(pk=connection.pk).outbox_last_id == latest_change_id()


def test_a_storm_of_429s_keeps_each_retry_after_then_goes_through(in_shop_a, fake_tiktok):
    connection = tiktok_connection(fake_tiktok)
    complete_product()
    fake_tiktok.script = [("429", 1), ("429", 2), ("429", 3)]

    waits = []
    for _ in range(3):
        with pytest.raises(RetryableError) as failure:
            connection_sync(connection_id=connection.pk)
        waits.append(failure.value.retry_after)
    connection_sync(connection_id=connection.pk)

    assert waits == [1, 2, 3]
    assert ChannelItem.objects.filter(connection=connection, state="live").count() == 2


def test_a_create_tiktok_applied_but_never_acknowledged_is_not_created_twice(
    in_shop_a, fake_tiktok
):
    """The answer is lost after TikTok created the product (the same as a worker dying
    between send and acknowledgement): the next run finds it by seller SKU and edits it."""
    connection = tiktok_connection(fake_tiktok)
    complete_product()
    # the image upload and the search pass; the create is applied, then answers late
    fake_tiktok.script = [("ok",), ("ok",), ("late", 3)]

    with pytest.raises(RetryableError):
        connection_sync(connection_id=connection.pk)
    held_after_failure = len(fake_tiktok.products)
    connection_sync(connection_id=connection.pk)

    assert held_after_failure == 1
    created_id = only_product(fake_tiktok)["id"]
    assert calls_after(fake_tiktok, 0) == [
        ("POST", f"{ROOT}/search"),
        ("POST", ROOT),
        ("POST", f"{ROOT}/search"),
        ("PUT", f"{ROOT}/{created_id}"),
    ]
    assert len(only_product(fake_tiktok)["skus"]) == 2  # the same SKUs, not new ones
    assert {item.external["product_id"] for item in ChannelItem.objects.all()} == {created_id}


def test_test_connection_says_clearly_what_is_wrong(in_shop_a, fake_tiktok):
    right = tiktok_connection(fake_tiktok)
    results = [connection_test(connection=right)]
    for wrong in (
        {"access_token": "expired"},
        {"app_secret": "not-the-secret"},
        {"shop_cipher": "ROW_other"},
    ):
        connection_update(connection=right, tiktok=wrong, access_token=wrong.get("access_token"))
        results.append(connection_test(connection=right))
        connection_update(
            connection=right,
            access_token=fake_tiktok.token,
            tiktok={"app_secret": fake_tiktok.app_secret, "shop_cipher": fake_tiktok.shop_cipher},
        )

    assert [(r.is_ok, r.message) for r in results] == [
        (True, "Connected to “Etalage Test Shop”."),
        (
            False,
            "TikTok refused the credentials: Invalid credentials. The 'x-tts-access-token' "
            "header is invalid.",
        ),
        (
            False,
            "TikTok refused the credentials: Invalid credentials. The 'sign' query "
            "parameter is invalid.",
        ),
        (
            False,
            "Could not check the connection: None of the shops this access token may use "
            "has the shop cipher “ROW_other”: copy the cipher of the shop to sync.",
        ),
    ]


def test_credentials_are_stored_encrypted_all_or_none(in_shop_a, fake_tiktok):
    from django.core.exceptions import ValidationError

    feed_only = connection_create(channel="tiktok")
    with pytest.raises(ValidationError) as missing:
        connection_update(connection=feed_only, tiktok={"app_key": "k"})
    connected = connection_update(
        connection=Connection.objects.get(pk=feed_only.pk),
        access_token=fake_tiktok.token,
        tiktok={
            "app_key": fake_tiktok.app_key,
            "app_secret": fake_tiktok.app_secret,
            "shop_cipher": fake_tiktok.shop_cipher,
            "warehouse_id": "w1",
            "category_id": "c1",
        },
    )
    kept = connection_update(connection=connected, tiktok={"warehouse_id": "w2"})

    assert missing.value.messages == [
        "Enter the TikTok Shop app secret, access token, shop cipher, warehouse id, category id "
        "(TikTok Shop Partner Center → your app, and Seller Center → warehouses and categories)."
    ]
    assert not connection_pushes(feed_only)
    assert connection_test(connection=feed_only).message.startswith(
        "No TikTok Shop API credentials are stored"
    )
    assert fake_tiktok.app_secret not in kept.credentials_encrypted
    assert fake_tiktok.token not in kept.credentials_encrypted
    assert tiktok_credentials(kept) == {
        "app_key": fake_tiktok.app_key,
        "app_secret": fake_tiktok.app_secret,
        "access_token": fake_tiktok.token,
        "shop_cipher": fake_tiktok.shop_cipher,
        "warehouse_id": "w2",
        "category_id": "c1",
    }
    assert connection_pushes(kept)


def test_a_feed_only_tiktok_connection_is_not_pushed(in_shop_a, fake_tiktok):
    connection = connection_create(channel="tiktok")
    complete_product()

    assert connection_sync_task.apply(args=[connection.pk]).get() == "feed only"
    assert fake_tiktok.calls == []
    assert Connection.objects.get(pk=connection.pk).status == "active"


def test_a_wrong_token_during_sync_marks_the_connection_failing_and_loses_nothing(
    in_shop_a, fake_tiktok
):
    connection = tiktok_connection(fake_tiktok, access_token="expired")
    complete_product()
    position = connection.outbox_last_id

    assert connection_sync_task.apply(args=[connection.pk]).get() == "failed"

    connection.refresh_from_db()
    assert connection.status == "failing"
    assert "The 'x-tts-access-token' header is invalid." in connection.last_error
    assert connection.outbox_last_id == position
    assert fake_tiktok.products == {}


def test_the_sync_query_count_does_not_grow_with_the_products(in_shop_a, fake_tiktok):
    counts = []
    for n in (2, 6):
        Connection.objects.filter(channel="tiktok").delete()
        connection = tiktok_connection(fake_tiktok)
        for i in range(n):
            complete_product(f"Tee {n}-{i}", sku=f"T{n}-{i}")
        with CaptureQueriesContext(db_connection) as queries:
            result = connection_sync(connection_id=connection.pk)
        assert result.items == 2 * n
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_a_sync_for_shop_a_never_reads_shop_bs_catalog_or_uses_its_connection(
    shop_a, shop_b, fake_tiktok, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with tenant_context(shop_b):
        tiktok_connection(fake_tiktok, access_token="beta-token", shop_cipher="ROW_beta")
        complete_product("Beta Mug", sku="BMUG")
    with tenant_context(shop_a):
        connection = tiktok_connection(fake_tiktok)
        complete_product("Alpha Tee", sku="ATEE")
        connection_sync(connection_id=connection.pk)
        reconciled = connection_reconcile(connection_id=connection.pk)
    db_connection.set_schema_to_public()

    assert [product["title"] for product in fake_tiktok.products.values()] == ["Alpha Tee"]
    assert {body.get("title") for _, _, body in fake_tiktok.calls} <= {None, "Alpha Tee"}
    assert reconciled.items == 0


def test_tiktok_warnings_are_kept_with_the_items(in_shop_a, fake_tiktok):
    connection = tiktok_connection(fake_tiktok)
    complete_product()
    fake_tiktok.warnings = ["Add a description of more than 300 characters.", "Add 5 images."]

    connection_sync(connection_id=connection.pk)

    assert set(states(connection).values()) == {
        ("warning", "Add a description of more than 300 characters.; Add 5 images.")
    }


def test_a_sku_tiktok_refuses_in_a_stock_update_is_rejected_alone(in_shop_a, fake_tiktok):
    connection = tiktok_connection(fake_tiktok)
    product = complete_product()
    connection_sync(connection_id=connection.pk)
    small, medium = product.variants.order_by("position")
    lost = ChannelItem.objects.get(retailer_id=f"{product.pk}-{medium.pk}").external["sku_id"]
    del only_product(fake_tiktok)["skus"][lost]  # gone on TikTok's side

    stock_adjust(variant=small, delta=1)
    connection_sync(connection_id=connection.pk)

    assert states(connection) == {
        f"{product.pk}-{small.pk}": ("live", ""),
        f"{product.pk}-{medium.pk}": ("rejected", "The SKU does not exist."),
    }


def test_a_product_deleted_on_tiktoks_side_is_created_again_or_counted_removed(
    in_shop_a, fake_tiktok
):
    connection = tiktok_connection(fake_tiktok)
    edited = complete_product("Linen Tee", sku="TEE")
    archived = complete_product("Wool Scarf", sku="SCARF")
    connection_sync(connection_id=connection.pk)
    old_ids = set(fake_tiktok.products)
    fake_tiktok.products.clear()  # a seller deleted both in Seller Center

    product_update(product=Product.objects.get(pk=edited.pk), title="Linen Tee II")
    product_update(product=Product.objects.get(pk=archived.pk), status="archived")
    connection_sync(connection_id=connection.pk)

    (recreated,) = fake_tiktok.products.values()
    assert recreated["title"] == "Linen Tee II" and recreated["id"] not in old_ids
    verdicts = states(connection)
    assert {verdicts[f"{edited.pk}-{v.pk}"] for v in edited.variants.all()} == {("live", "")}
    assert {verdicts[f"{archived.pk}-{v.pk}"] for v in archived.variants.all()} == {("removed", "")}
    assert {
        item.external["product_id"] for item in ChannelItem.objects.filter(product_id=edited.pk)
    } == {recreated["id"]}


def test_reconcile_edits_out_a_variant_removed_around_the_outbox_and_keeps_the_product(
    in_shop_a, fake_tiktok
):
    connection = tiktok_connection(fake_tiktok)
    product = complete_product()
    connection_sync(connection_id=connection.pk)
    small, medium = product.variants.order_by("position")
    medium.delete()  # written around the services: no outbox row
    before = len(fake_tiktok.calls)

    result = connection_reconcile(connection_id=connection.pk)

    product_id = only_product(fake_tiktok)["id"]
    assert result.items == 2
    assert calls_after(fake_tiktok, before) == [("PUT", f"{ROOT}/{product_id}")]
    assert [s["seller_sku"] for s in only_product(fake_tiktok)["skus"].values()] == [
        f"{product.pk}-{small.pk}"
    ]
    assert states(connection)[f"{product.pk}-{small.pk}"] == ("live", "")
