"""Catalog fidelity: each variant's own barcode and attributes (from its options, through
the shop's mapping) in every feed and push, custom goods on Google, product type,
shipping weight and per-country shipping; feed-only connections; the per-item status
list in the admin (search, filter, resend) and its tenancy."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django_tenants.utils import tenant_context

from catalog import shopify_csv as col
from catalog.admin import ProductForm
from catalog.categories import google_category_suggestion
from catalog.demo import gtin_with_check_digit
from catalog.exports import products_export_csv, products_export_rows
from catalog.images import product_image_add
from catalog.imports import products_import
from catalog.models import CatalogChange, Product
from catalog.services import VariantInput, product_create
from orders.services.shipping import shipping_rate_create, shipping_zone_create
from shops.channels.models import ChannelItem, Connection, OptionAttribute
from shops.channels.selectors import products_left_out
from shops.channels.services import (
    connection_create,
    connection_pushes,
    connection_sync_now,
    connection_update,
    option_attribute_set,
)
from shops.channels.sync import connection_reconcile, connection_sync
from tests.catalog.test_imports import csv_bytes
from tests.channels.conftest import complete_product, google_connection, meta_connection, png
from tests.channels.test_feeds import fetch
from tests.channels.validators import G, feed_problems
from tests.conftest import owner_client
from tests.factories import ReviewFactory

COLUMNS = [
    col.HANDLE,
    col.TITLE,
    col.BODY,
    col.VENDOR,
    col.TYPE,
    col.STATUS,
    *(name for pair in zip(col.OPTION_NAMES, col.OPTION_VALUES, strict=True) for name in pair),
    col.SKU,
    col.GRAMS,
    col.STOCK,
    col.PRICE,
    col.BARCODE,
]
SIZES_AND_COLOURS = [("S", "Blue"), ("S", "Red"), ("M", "Blue"), ("M", "Red")]


def barcode(number: int) -> str:
    return gtin_with_check_digit(f"40063813{number:04d}")


def dress_rows() -> list[dict]:
    """A Shopify export of one dress in two sizes and two colours, a barcode per variant."""
    rows = []
    for number, (size, colour) in enumerate(SIZES_AND_COLOURS):
        row = {
            col.HANDLE: "linen-dress",
            col.OPTION_VALUES[0]: size,
            col.OPTION_VALUES[1]: colour,
            col.OPTION_VALUES[2]: "Women",
            col.SKU: f"DRESS-{size}-{colour}",
            col.GRAMS: "250",
            col.STOCK: "4",
            col.PRICE: "49.00",
            col.BARCODE: barcode(number),
        }
        if number == 0:
            row.update(
                {
                    col.TITLE: "Linen Dress",
                    col.BODY: "<p>Light <b>linen</b>.</p>",
                    col.VENDOR: "Etalage",
                    col.TYPE: "Dresses",
                    col.STATUS: "active",
                    col.OPTION_NAMES[0]: "Size",
                    col.OPTION_NAMES[1]: "Colour",
                    col.OPTION_NAMES[2]: "Gender",
                }
            )
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    ("channel", "file_format"),
    [("google", "xml"), ("google", "csv"), ("meta", "csv"), ("pinterest", "tsv")],
)
def test_a_shopify_csv_with_a_barcode_per_variant_gives_each_feed_item_its_own_gtin_size_and_color(
    in_shop_a, channel, file_format
):
    # given: the file imported, the dress given a picture
    result = products_import(file=io.BytesIO(csv_bytes(dress_rows(), columns=COLUMNS)))
    assert (result.created, result.errors) == (1, [])
    dress = Product.objects.get(slug="linen-dress")
    product_image_add(product=dress, file=png())
    variants = {v.sku: v for v in dress.variants.all()}
    feed = connection_create(channel=channel)
    db_connection.set_schema_to_public()

    # when
    _, body = fetch("alpha", channel, file_format, feed.feed_token)

    # then: every item passes the platform's rules and carries its own values
    rows, problems = feed_problems(channel, file_format, body)
    assert problems == []
    by_id = {row["id"]: row for row in rows}
    expected = {}
    for number, (size, colour) in enumerate(SIZES_AND_COLOURS):
        variant = variants[f"DRESS-{size}-{colour}"]
        expected[f"{dress.pk}-{variant.pk}"] = (barcode(number), size, colour, "female")
    assert {
        item_id: (row["gtin"], row["size"], row["color"], row["gender"])
        for item_id, row in by_id.items()
    } == expected
    assert len({gtin for gtin, *_ in expected.values()}) == 4  # not the first one's, shared
    assert {row["item_group_id"] for row in rows} == {str(dress.pk)}
    assert {row["product_type"] for row in rows} == {"Dresses"}
    if channel == "google":
        assert {row["shipping_weight"] for row in rows} == {"250 g"}
        assert {row["identifier_exists"] for row in rows} == {"yes"}


def test_the_shops_mapping_names_its_own_options_and_the_products_are_sent_again(in_shop_a):
    # given: a product whose options are in French
    product = complete_product(
        "Robe",
        sku="ROBE",
        option1_name="Taille",
        option2_name="Couleur",
        variants=[
            VariantInput(sku="ROBE-S", price="30", stock=2, options=("S", "Bleu")),
            VariantInput(sku="ROBE-M", price="30", stock=2, options=("M", "Bleu")),
        ],
        gtin="",
        mpn="R-1",
    )
    before = CatalogChange.objects.filter(product_id=product.pk).count()
    google = connection_create(channel="google")

    # when: "Taille" is mapped to size, "Couleur" to color, and "Colour" switched off
    option_attribute_set(option_name="taille", attribute="size")
    option_attribute_set(option_name="Couleur", attribute="color")
    option_attribute_set(option_name="Colour", attribute="")
    with pytest.raises(ValidationError) as unknown:
        option_attribute_set(option_name="Taille", attribute="shoe_width")
    db_connection.set_schema_to_public()
    _, body = fetch("alpha", "google", "csv", google.feed_token)

    # then
    rows, problems = feed_problems("google", "csv", body)
    assert problems == []
    assert sorted((row["size"], row["color"]) for row in rows) == [("M", "Bleu"), ("S", "Bleu")]
    with tenant_context(in_shop_a):
        # the two mappings that name its options each recorded it in the outbox
        assert CatalogChange.objects.filter(product_id=product.pk).count() == before + 2
    assert unknown.value.message_dict == {"attribute": ["Unknown attribute “shoe_width”."]}


def test_a_handmade_product_reaches_google_with_identifier_exists_no(in_shop_a, fake_google):
    # given: a handmade bowl (custom goods, no GTIN or MPN) and a mug with neither that is not
    bowl = complete_product("Hand-thrown Bowl", sku="BOWL", gtin="", mpn="", is_custom_goods=True)
    complete_product("Plain Mug", sku="MUG", gtin="", mpn="")
    pushed = google_connection(fake_google)

    # when
    connection_reconcile(connection_id=pushed.pk)
    db_connection.set_schema_to_public()
    _, body = fetch("alpha", "google", "xml", pushed.feed_token)

    # then: the bowl is in the feed and pushed, with identifier_exists = no; the mug is not
    rows, problems = feed_problems("google", "xml", body)
    assert problems == []
    assert {(row["title"], row["identifier_exists"], row.get("gtin")) for row in rows} == {
        ("Hand-thrown Bowl", "no", None)
    }
    inputs = [p for p in fake_google.products.values() if p.get("title") == "Hand-thrown Bowl"]
    assert len(inputs) == 2 and all(p["identifierExists"] is False for p in inputs)
    assert not any(p.get("title") == "Plain Mug" for p in fake_google.products.values())
    with tenant_context(in_shop_a):
        left = products_left_out(connection=Connection.objects.get(channel="google"))
        assert [entry.product.title for entry in left] == ["Plain Mug"]
        assert "custom goods" in left[0].reasons[0]
        assert Product.objects.get(pk=bowl.pk).is_custom_goods


def test_google_gets_the_cheapest_rate_per_country_the_shop_ships_to(in_shop_a):
    # given: Europe at a flat 4.90 (free from 100), the US by weight
    europe = shipping_zone_create(name="Europe", countries=["FR", "BE"])
    shipping_rate_create(zone=europe, name="Standard", price="4.90", free_over="100")
    shipping_rate_create(zone=europe, name="Express", price="12.00")
    america = shipping_zone_create(name="America", countries=["US"])
    shipping_rate_create(
        zone=america, name="Light", price="7.00", kind="weight", max_weight_grams=500
    )
    shipping_rate_create(
        zone=america, name="Heavy", price="15.00", kind="weight", min_weight_grams=500
    )
    complete_product(
        "Linen Tee",
        sku="TEE",
        variants=[
            VariantInput(sku="TEE-S", price="19.90", stock=3, options=("S",), weight_grams=200),
            VariantInput(sku="TEE-XL", price="120.00", stock=3, options=("XL",), weight_grams=800),
        ],
        gtin="",
        mpn="LT-1",
    )
    google = connection_create(channel="google")
    db_connection.set_schema_to_public()

    # when
    _, csv_body = fetch("alpha", "google", "csv", google.feed_token)
    _, xml_body = fetch("alpha", "google", "xml", google.feed_token)

    # then
    rows, problems = feed_problems("google", "csv", csv_body)
    assert problems == []
    assert sorted(row["shipping"] for row in rows) == [
        "BE:::0.00 EUR,FR:::0.00 EUR,US:::15.00 EUR",  # 120.00 ships free in Europe; 800 g
        "BE:::4.90 EUR,FR:::4.90 EUR,US:::7.00 EUR",
    ]
    root = ElementTree.fromstring(xml_body.encode())  # noqa: S314 (our own feed)
    first = sorted(
        (
            [
                (group.findtext(f"{G}country"), group.findtext(f"{G}price"))
                for group in item.iter(f"{G}shipping")
            ]
            for item in root.iter("item")
        ),
        key=lambda groups: groups[-1][1],
    )[-1]
    assert first == [("BE", "4.90 EUR"), ("FR", "4.90 EUR"), ("US", "7.00 EUR")]


def test_a_feed_only_connection_never_pushes_until_it_is_switched_off(
    in_shop_a, fake_meta, fake_google, django_capture_on_commit_callbacks
):
    # given: Meta connected with a token but feed only; Google with no token at all
    meta = meta_connection(fake_meta, is_feed_only=True)
    google = connection_create(channel="google", external_id="4242/77")
    with django_capture_on_commit_callbacks(execute=True):  # the outbox listener's syncs
        complete_product()

    # when: every way a push could start
    synced = connection_sync(connection_id=meta.pk)
    reconciled = connection_reconcile(connection_id=meta.pk)
    google_synced = connection_sync(connection_id=google.pk)
    with pytest.raises(ValidationError) as refused:
        connection_sync_now(connection=meta)

    # then: the fake platforms received nothing
    assert (synced.items, reconciled.items, google_synced.items) == (0, 0, 0)
    assert fake_meta.batches == [] and fake_meta.items == {}
    assert fake_google.calls == []
    assert not connection_pushes(meta) and not connection_pushes(google)
    assert refused.value.messages == ["Meta reads the product feed: nothing to push."]

    # and when feed only is switched off, the whole catalog is sent
    with django_capture_on_commit_callbacks(execute=True):
        connection_update(connection=Connection.objects.get(pk=meta.pk), is_feed_only=False)
    assert len(fake_meta.items) == 2


def rejected_catalog(fake_meta) -> tuple[Connection, Product, Product]:
    """Meta holds a tee (live) and a scarf whose two items it refused."""
    connection = meta_connection(fake_meta)
    tee = complete_product("Linen Tee", sku="TEE")
    scarf = complete_product("Wool Scarf", sku="SCARF")
    connection_sync(connection_id=connection.pk)
    ChannelItem.objects.filter(product_id=scarf.pk).update(
        state="rejected", message="Image could not be downloaded (HTTP 404)."
    )
    return connection, tee, scarf


def test_the_item_list_filters_by_state_and_title_and_shows_the_rejection_with_a_fix_link(
    shop_a, fake_meta, media
):
    with tenant_context(shop_a):
        connection, tee, scarf = rejected_catalog(fake_meta)
        tee_ids = list(tee.variants.values_list("pk", flat=True))
    db_connection.set_schema_to_public()
    client = owner_client()
    url = f"/admin/channels/connection/{connection.pk}/items/"

    rejected = client.get(url, {"state": "rejected"}).content.decode()
    searched = client.get(url, {"q": "linen"}).content.decode()
    everything = client.get(url).content.decode()

    assert "2 items match." in rejected
    assert rejected.count("Image could not be downloaded (HTTP 404).") == 2
    assert f'/admin/catalog/product/{scarf.pk}/change/">fix the product</a>' in rejected
    assert not any(f"{tee.pk}-{pk}" in rejected for pk in tee_ids)
    assert "2 items match." in searched and "Wool Scarf" not in searched
    assert all(f"{tee.pk}-{pk}" in searched for pk in tee_ids)
    assert "4 items." in everything and everything.count('name="item"') == 4


def test_the_item_list_costs_the_same_queries_for_a_page_of_many(
    shop_a, fake_meta, media, django_assert_max_num_queries
):
    with tenant_context(shop_a):
        connection, _, scarf = rejected_catalog(fake_meta)
    db_connection.set_schema_to_public()
    client = owner_client()
    url = f"/admin/channels/connection/{connection.pk}/items/"
    client.get(url)  # the session and the admin's caches warmed
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    with tenant_context(shop_a):
        ChannelItem.objects.bulk_create(
            ChannelItem(
                connection=connection,
                retailer_id=f"{scarf.pk}-{9000 + number}",
                product_id=scarf.pk,
                state="rejected",
                message=f"Refused {number}",
            )
            for number in range(120)
        )
    db_connection.set_schema_to_public()

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url, {"state": "rejected"}).content.decode()

    assert "122 items match." in page
    assert page.count('name="item"') == 50 and "Page 1 of 3" in page


def test_resend_queues_the_ticked_items_and_the_platform_gets_them_again(
    shop_a, fake_meta, media, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a):
        connection, _, scarf = rejected_catalog(fake_meta)
        scarf_items = list(ChannelItem.objects.filter(product_id=scarf.pk))
    db_connection.set_schema_to_public()
    batches_before = len(fake_meta.batches)
    client = owner_client()
    url = f"/admin/channels/connection/{connection.pk}/items/"

    with django_capture_on_commit_callbacks(execute=True):  # the queued reconcile runs here
        response = client.post(
            f"{url}?state=rejected", {"item": [item.pk for item in scarf_items]}, follow=True
        )

    page = response.content.decode()
    assert "2 items queued to be sent again" in page
    assert response.redirect_chain[-1][0] == f"{url}?state=rejected"
    assert len(fake_meta.batches) == batches_before + 1
    sent_again = {entry["data"]["id"] for entry in fake_meta.batches[-1]}
    assert sent_again == {item.retailer_id for item in scarf_items}
    with tenant_context(shop_a):
        assert set(
            ChannelItem.objects.filter(product_id=scarf.pk).values_list("state", flat=True)
        ) == {"live"}


def test_shop_b_never_sees_or_resends_shop_a_items(shop_a, shop_b, fake_meta, media):
    # given: A's items; B has a connection at an id A has none at, with a secret reason
    with tenant_context(shop_a):
        connection, _, scarf = rejected_catalog(fake_meta)
        scarf_item = ChannelItem.objects.filter(product_id=scarf.pk).first()
        only_b_has = connection.pk + 1
    with tenant_context(shop_b):
        theirs = connection_create(channel="pinterest", access_token="b-token")
        Connection.objects.filter(pk=theirs.pk).update(id=only_b_has)
        ChannelItem.objects.create(
            connection_id=only_b_has,
            retailer_id="1-1",
            product_id=1,
            state="rejected",
            message="Beta's secret reason",
        )
    db_connection.set_schema_to_public()
    a_url = f"/admin/channels/connection/{connection.pk}/items/"

    # when
    mine = owner_client("alpha").get(a_url).content.decode()
    not_mine = owner_client("alpha").get(f"/admin/channels/connection/{only_b_has}/items/")
    b_owner_on_a = owner_client("beta")
    b_owner_on_a.defaults["HTTP_HOST"] = "alpha.localhost"
    cross_get = b_owner_on_a.get(a_url)
    cross_post = b_owner_on_a.post(a_url, {"item": [scarf_item.pk]})

    # then
    assert "Beta's secret reason" not in mine
    assert not_mine.status_code == 404
    assert cross_get.status_code == 302 and "/admin/login/" in cross_get["Location"]
    assert cross_post.status_code == 302 and "/admin/login/" in cross_post["Location"]
    with tenant_context(shop_a):
        assert ChannelItem.objects.get(pk=scarf_item.pk).state == "rejected"  # not resent


def test_a_variants_barcode_is_checked_and_the_admin_and_api_carry_it(in_shop_a):
    with pytest.raises(ValidationError) as wrong:
        product_create(
            title="Mug",
            variants=[VariantInput(sku="MUG", price="9", gtin="4006381333932")],
        )
    product = product_create(
        title="Mug", variants=[VariantInput(sku="MUG", price="9", gtin=" 4006381333931 ")]
    )

    assert wrong.value.message_dict["variants[0].gtin"] == [
        "The GTIN's check digit is wrong; check for a typo."
    ]
    assert product.variants.get().gtin == "4006381333931"


def product_form_data(product: Product, **changes: object) -> dict:
    data = {
        name: getattr(product, name)
        for name in ProductForm.Meta.fields
        if name not in ("tags", "requires_shipping", "is_custom_goods")
    }
    data["tags"] = ",".join(product.tags)
    return {**data, **changes}


def test_the_suggested_google_category_is_stored_only_when_the_merchant_confirms_it(in_shop_a):
    product = complete_product("Linen Tee", sku="TEE", product_type="Shirt")
    suggestion = "Apparel & Accessories > Clothing > Shirts & Tops"

    shown = ProductForm(instance=product)
    not_ticked = ProductForm(instance=product, data=product_form_data(product))
    ticked = ProductForm(
        instance=product, data=product_form_data(product, use_suggested_category="on")
    )
    entered = ProductForm(
        instance=product,
        data=product_form_data(
            product, use_suggested_category="on", google_product_category="Media > Books"
        ),
    )

    assert shown.fields["use_suggested_category"].label.endswith(suggestion)
    assert not_ticked.is_valid() and not_ticked.cleaned_data["google_product_category"] == ""
    assert ticked.is_valid() and ticked.cleaned_data["google_product_category"] == suggestion
    assert entered.is_valid()
    assert entered.cleaned_data["google_product_category"] == "Media > Books"
    assert google_category_suggestion(product_type="", title="Hand-thrown Bowls") == (
        "Home & Garden > Kitchen & Dining > Tableware > Dinnerware > Bowls"
    )
    assert google_category_suggestion(product_type="Gift card", title="Gift card") == ""


def test_the_merchant_maps_an_option_in_the_channels_admin(shop_a):
    client = owner_client()

    added = client.post(
        "/admin/channels/optionattribute/add/", {"option_name": "Taille", "attribute": "size"}
    )
    again = client.post(
        "/admin/channels/optionattribute/add/", {"option_name": "TAILLE", "attribute": "color"}
    )
    listing = client.get("/admin/channels/optionattribute/").content.decode()

    assert added.status_code == 302 and again.status_code == 302
    with tenant_context(shop_a):
        # one mapping per name in any case: the second changed the first
        assert list(OptionAttribute.objects.values_list("option_name", "attribute")) == [
            ("TAILLE", "color")
        ]
    assert "Without a mapping of your own: Color → Color, Colour → Color, Size → Size" in listing


def test_pinterest_gets_the_products_rating_from_its_approved_reviews(in_shop_a):
    rated = complete_product("Linen Tee", sku="TEE")
    complete_product("Wool Scarf", sku="SCARF")
    ReviewFactory(product=rated, rating=5)
    ReviewFactory(product=rated, rating=4)
    ReviewFactory(product=rated, rating=1, status="pending")  # not counted until approved
    pinterest = connection_create(channel="pinterest")
    db_connection.set_schema_to_public()

    _, body = fetch("alpha", "pinterest", "csv", pinterest.feed_token)

    rows, problems = feed_problems("pinterest", "csv", body)
    assert problems == []
    assert sorted(
        {(row["title"], row["average_review_rating"], row["number_of_ratings"]) for row in rows}
    ) == [("Linen Tee", "4.5", "2"), ("Wool Scarf", "", "")]


def test_the_export_writes_each_variants_barcode_and_imports_back_the_same(in_shop_a):
    products_import(file=io.BytesIO(csv_bytes(dress_rows(), columns=COLUMNS)))
    exported = list(products_export_rows())
    header, rows = exported[0], exported[1:]
    column = header.index(col.BARCODE)
    exported_csv = "".join(products_export_csv()).encode()

    Product.objects.all().delete()
    again = products_import(file=io.BytesIO(exported_csv))

    assert [row[column] for row in rows] == [barcode(n) for n in range(4)]
    assert (again.errors, again.created) == ([], 1), again
    assert list(
        Product.objects.get(slug="linen-dress").variants.values_list("gtin", flat=True)
    ) == [barcode(n) for n in range(4)]
