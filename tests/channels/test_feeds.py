"""Product feeds: each channel's format checked by the published rules, one row per
variant, readiness, tokens (and their isolation between shops), ETag, streaming."""

from __future__ import annotations

import gzip
import threading
import time

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.utils.http import http_date
from django_tenants.utils import tenant_context

from catalog.images import image_original_url
from catalog.models import Product, ProductImage, Variant
from catalog.services import product_update, stock_hold
from orders.services.shipping import (
    shipping_rate_create,
    shipping_rate_delete,
    shipping_rate_update,
    shipping_zone_create,
)
from shops.channels.feeds import FORMATS
from shops.channels.items import ShopContext
from shops.channels.models import Connection
from shops.channels.selectors import products_in_chunks, products_left_out, read_ahead
from shops.channels.services import connection_create
from shops.channels.sync import connection_reconcile
from shops.services import domain_add
from tests.channels.conftest import complete_product
from tests.channels.validators import feed_problems

FEEDS = [
    ("meta", "csv"),
    ("meta", "xml"),
    ("pinterest", "csv"),
    ("pinterest", "tsv"),
    ("pinterest", "xml"),
    ("google", "xml"),
    ("google", "csv"),
    ("tiktok", "csv"),
    ("tiktok", "xml"),
]


def client_for(slug: str, **defaults: str) -> Client:
    return Client(HTTP_HOST=f"{slug}.localhost", **defaults)


def fetch(slug: str, channel: str, file_format: str, token: str, **headers):
    response = client_for(slug).get(f"/feeds/{channel}.{file_format}", {"token": token}, **headers)
    body = b"".join(response.streaming_content).decode() if response.streaming else ""
    return response, body


@pytest.mark.parametrize(("channel", "file_format"), FEEDS)
def test_feed_follows_the_channels_published_rules(in_shop_a, channel, file_format):
    complete_product("Linen Tee", sku="TEE")
    complete_product("Wool Scarf", sku="SCARF", description='Warm\twool,\nknitted "by hand"')
    feed = connection_create(channel=channel)
    db_connection.set_schema_to_public()

    response, body = fetch("alpha", channel, file_format, feed.feed_token)

    assert response.status_code == 200
    assert response.streaming
    rows, problems = feed_problems(channel, file_format, body)
    assert problems == []
    assert len(rows) == 4  # one row per variant
    id_field = "sku_id" if channel == "tiktok" else "id"
    tee = sorted(
        (r for r in rows if r["title"] == "Linen Tee"), key=lambda r: int(r[id_field].split("-")[1])
    )
    assert len({r["item_group_id"] for r in tee}) == 1
    in_stock = "in_stock" if channel == "google" else "in stock"
    out_of_stock = "out_of_stock" if channel == "google" else "out of stock"
    assert [(r["price"], r.get("sale_price", ""), r["availability"]) for r in tee] == [
        ("19.90 EUR", "", in_stock),
        ("25.00 EUR", "21.00 EUR", out_of_stock),
    ]
    assert tee[0]["description"] == "Soft linen, washed & dried."
    assert tee[0]["link"].startswith("http://alpha.localhost/products/linen-tee/?variant=")
    with tenant_context(in_shop_a):
        image = ProductImage.objects.get(product__title="Linen Tee")
        assert tee[0]["image_link"] == "http://alpha.localhost" + image_original_url(image)


def test_feed_leaves_out_products_that_are_not_ready_and_the_admin_says_why(in_shop_a):
    complete_product("Linen Tee", sku="TEE")
    complete_product("No Brand", sku="NOBRAND", brand="", gtin="", mpn="")
    google = connection_create(channel="google")
    db_connection.set_schema_to_public()

    _, body = fetch("alpha", "google", "xml", google.feed_token)

    rows, problems = feed_problems("google", "xml", body)
    assert problems == []
    assert {row["title"] for row in rows} == {"Linen Tee"}
    with tenant_context(in_shop_a):
        left = products_left_out(connection=Connection.objects.get(channel="google"))
    assert [(entry.product.title, entry.reasons) for entry in left] == [
        (
            "No Brand",
            [
                "Missing brand.",
                "Missing GTIN and MPN: add each variant's barcode (GTIN) or the maker's part "
                "number, or tick “custom goods” if no maker assigned one (handmade products).",
            ],
        )
    ]


def test_feed_lists_only_the_connections_selection(in_shop_a):
    complete_product("Linen Tee", sku="TEE", tags=["summer"])
    complete_product("Wool Scarf", sku="SCARF", tags=["winter"])
    complete_product("Draft Hat", sku="HAT", status="draft")
    meta = connection_create(channel="meta", selection="tag", tag="winter")
    db_connection.set_schema_to_public()

    _, body = fetch("alpha", "meta", "csv", meta.feed_token)

    rows, _ = feed_problems("meta", "csv", body)
    assert {row["title"] for row in rows} == {"Wool Scarf"}


@pytest.mark.parametrize("token", ["", "wrong", None])
def test_feed_with_a_wrong_or_missing_token_is_not_found(in_shop_a, token):
    complete_product()
    meta = connection_create(channel="meta")
    db_connection.set_schema_to_public()
    path = "/feeds/meta.csv" if token is None else f"/feeds/meta.csv?token={token}"

    assert client_for("alpha").get(path).status_code == 404
    assert client_for("alpha").get(f"/feeds/meta.tsv?token={meta.feed_token}").status_code == 404
    assert client_for("alpha").get(f"/feeds/ebay.csv?token={meta.feed_token}").status_code == 404


def test_a_feed_token_never_serves_another_shops_products(shop_a, shop_b, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with tenant_context(shop_a):
        complete_product("Alpha Tee", sku="ATEE")
        token_a = connection_create(channel="meta").feed_token
    with tenant_context(shop_b):
        complete_product("Beta Mug", sku="BMUG")
        token_b = connection_create(channel="meta").feed_token

    on_b_with_a, _ = fetch("beta", "meta", "csv", token_a)
    head_on_b_with_a = client_for("beta").head("/feeds/meta.csv", {"token": token_a})
    on_a, body_a = fetch("alpha", "meta", "csv", token_a)
    on_b, body_b = fetch("beta", "meta", "csv", token_b)

    assert on_b_with_a.status_code == head_on_b_with_a.status_code == 404
    assert on_a.status_code == on_b.status_code == 200
    assert {row["title"] for row in feed_problems("meta", "csv", body_a)[0]} == {"Alpha Tee"}
    assert {row["title"] for row in feed_problems("meta", "csv", body_b)[0]} == {"Beta Mug"}


def test_feed_answers_304_until_the_catalog_changes(in_shop_a):
    product = complete_product()
    meta = connection_create(channel="meta")
    db_connection.set_schema_to_public()
    first, _ = fetch("alpha", "meta", "xml", meta.feed_token)

    unchanged, _ = fetch("alpha", "meta", "xml", meta.feed_token, HTTP_IF_NONE_MATCH=first["ETag"])
    with tenant_context(in_shop_a):
        product_update(product=Product.objects.get(pk=product.pk), title="Linen Tee II")
    db_connection.set_schema_to_public()
    changed, body = fetch("alpha", "meta", "xml", meta.feed_token, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["Last-Modified"]
    assert unchanged.status_code == 304
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert "Linen Tee II" in body


def test_feed_queries_do_not_grow_with_the_catalog(in_shop_a, django_assert_max_num_queries):
    for number in range(30):
        complete_product(f"Tee {number}", sku=f"TEE{number}")
    meta = connection_create(channel="meta")
    db_connection.set_schema_to_public()

    with django_assert_max_num_queries(15):
        _, body = fetch("alpha", "meta", "csv", meta.feed_token)

    assert len(feed_problems("meta", "csv", body)[0]) == 60


# a 253-character host name (four labels, the longest a DNS name may be)
LONG_HOST = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 56, "test"])


def test_a_link_longer_than_pinterests_511_characters_leaves_the_product_out_never_cut(
    in_shop_a,
):
    complete_product("Linen Tee", sku="TEE")
    long_one = complete_product("Long Name", sku="LONG", slug="x" * 255)
    pinterest = connection_create(channel="pinterest")
    meta = connection_create(channel="meta")
    db_connection.set_schema_to_public()
    domain_add(shop=in_shop_a, domain=LONG_HOST)

    _, pinterest_body = fetch_at(LONG_HOST, "pinterest", "csv", pinterest.feed_token)
    _, meta_body = fetch_at(LONG_HOST, "meta", "csv", meta.feed_token)

    pinterest_rows, problems = feed_problems("pinterest", "csv", pinterest_body)
    assert problems == []
    assert {row["title"] for row in pinterest_rows} == {"Linen Tee"}
    meta_rows, _ = feed_problems("meta", "csv", meta_body)  # Meta has no such limit
    long_links = [row["link"] for row in meta_rows if row["title"] == "Long Name"]
    assert len(long_links) == 2 and all(len(link) > 511 for link in long_links)
    with tenant_context(in_shop_a):
        left = products_left_out(
            connection=Connection.objects.get(channel="pinterest"),
            context=ShopContext(base_url=f"http://{LONG_HOST}", currency="EUR"),
        )
        at_the_short_address = products_left_out(
            connection=Connection.objects.get(channel="pinterest")
        )
    assert [(entry.product.pk, entry.reasons) for entry in left] == [
        (
            long_one.pk,
            ["Link is longer than 511 characters: shorten the product's URL name (slug)."],
        )
    ]
    assert at_the_short_address == []


def test_an_image_address_over_2000_characters_leaves_the_product_out_never_cut(
    in_shop_a, settings, fake_meta
):
    complete_product("Linen Tee", sku="TEE")
    tokens = {
        channel: connection_create(channel=channel).feed_token
        for channel in ("google", "pinterest", "tiktok")
    }
    meta = connection_create(
        channel="meta", access_token=fake_meta.token, external_id=fake_meta.catalog_id
    )
    message = (
        "An image's address is longer than 2,000 characters: give the image file a shorter "
        "name (upload it again) or use a shorter shop domain."
    )

    def listed(media_url: str) -> dict[str, list[dict]]:
        settings.MEDIA_URL = media_url
        db_connection.set_schema_to_public()
        rows = {
            channel: feed_problems(channel, fmt, fetch("alpha", channel, fmt, token)[1])[0]
            for (channel, token), fmt in zip(tokens.items(), ("csv", "csv", "csv"), strict=True)
        }
        db_connection.set_tenant(in_shop_a)
        return rows

    short = listed("/m/")
    # a media address that makes the image's address 2,000 characters long, then 2,001
    padding = 2_001 - len(short["google"][0]["image_link"])
    at_the_limit = listed(f"/{'m' * padding}/")
    over = listed(f"/{'m' * (padding + 1)}/")
    left_out = {
        channel: [entry.reasons for entry in products_left_out(connection=connection)]
        for channel, connection in ((c.channel, c) for c in Connection.objects.all())
    }
    sent = connection_reconcile(connection_id=meta.pk)

    assert {len(row["image_link"]) for row in at_the_limit["google"]} == {2_000}
    assert {channel: len(rows) for channel, rows in at_the_limit.items()} == {
        "google": 2,
        "pinterest": 2,
        "tiktok": 2,
    }
    assert {channel: len(rows) for channel, rows in over.items()} == {
        "google": 0,
        "pinterest": 0,
        "tiktok": 2,  # TikTok's images are uploaded, not linked
    }
    assert left_out == {
        "google": [[message]],
        "meta": [[message]],
        "pinterest": [[message]],
        "tiktok": [],
    }
    assert sent.items == 0 and fake_meta.items == {}  # left out of the push too


def fetch_at(host: str, channel: str, file_format: str, token: str):
    response = Client(HTTP_HOST=host).get(f"/feeds/{channel}.{file_format}", {"token": token})
    assert response.status_code == 200
    return response, b"".join(response.streaming_content).decode()


def _backend_pid() -> int:
    """The PostgreSQL backend of this thread's connection."""
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _still_connected(pids: set[int], *, wait: float = 10.0) -> set[int]:
    """Those of ``pids`` still in pg_stat_activity after up to ``wait`` seconds: a closed
    connection's backend leaves a moment after the client hangs up, never at once."""
    deadline = time.monotonic() + wait
    while True:
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)])
            left = {row[0] for row in cursor.fetchall()}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def test_outside_a_transaction_the_next_chunk_is_read_ahead_in_the_shops_own_schema(
    committed_shop, django_db_blocker, settings, tmp_path
):
    """With committed data (as in production) the chunks come from a second connection
    on a thread: the same products in the same order, only this shop's, its errors
    raised to the reader, and its connection closed when the reader stops early."""
    settings.MEDIA_ROOT = tmp_path
    ours, theirs = committed_shop("ahead-a").shop, committed_shop("ahead-b").shop
    with django_db_blocker.unblock():
        with tenant_context(theirs):
            complete_product("Their Tee", sku="THEIRS")
            Connection.objects.all().delete()
        with tenant_context(ours):
            for number in range(5):
                complete_product(f"Tee {number}", sku=f"TEE{number}")
            token = connection_create(channel="meta").feed_token
            products = Product.objects.all()
            one_by_one = [
                [row.title for row in chunk] for chunk in products_in_chunks(products, chunk=2)
            ]
            readers, backends = set(), set()

            def chunks(size=2):
                for chunk in products_in_chunks(products, chunk=size):
                    readers.add(threading.get_ident())
                    backends.add(_backend_pid())
                    yield chunk

            ahead = [[row.title for row in chunk] for chunk in read_ahead(chunks)]
            stopped = read_ahead(lambda: chunks(size=1))
            next(stopped)
            stopped.close()  # a client that hung up after the first chunk
            left_connected = _still_connected(backends)
            own_backend = _backend_pid()

            def failing():
                yield from products_in_chunks(products, chunk=2)
                raise RuntimeError("the database went away")

            with pytest.raises(RuntimeError, match="went away"):
                list(read_ahead(failing))
        db_connection.set_schema_to_public()
        response, body = fetch("ahead-a", "meta", "csv", token)

    assert not db_connection.in_atomic_block
    assert ahead == one_by_one and len(ahead) == 3
    assert readers and threading.get_ident() not in readers  # read on another thread
    assert len(backends) == 2 and own_backend not in backends  # one per reader thread
    assert left_connected == set()  # each reader thread's connection is closed
    assert response.status_code == 200
    rows, problems = feed_problems("meta", "csv", body)
    assert not problems and len(rows) == 10
    assert "Their Tee" not in body


def test_a_feed_streams_gzipped_when_asked_and_still_answers_304(in_shop_a):
    # given
    for number in range(5):
        complete_product(f"Tee {number}", sku=f"TEE{number}")
    meta = connection_create(channel="meta")
    db_connection.set_schema_to_public()

    path, query = "/feeds/meta.xml", {"token": meta.feed_token}
    zipping = client_for("alpha", HTTP_ACCEPT_ENCODING="gzip")

    # when
    zipped = zipping.get(path, query)
    body = gzip.decompress(b"".join(zipped.streaming_content)).decode()
    plain, plain_body = fetch("alpha", "meta", "xml", meta.feed_token)
    # the client sends back the ETag it got, weakened by the compression
    again = zipping.get(path, query, HTTP_IF_NONE_MATCH=zipped["ETag"])

    # then
    assert zipped["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped["Vary"]
    assert zipped["ETag"] == f"W/{plain['ETag']}"
    assert body == plain_body and "Tee 4" in body
    assert "Content-Encoding" not in plain
    assert again.status_code == 304


def test_feed_shows_the_stock_available_not_the_units_held_by_unpaid_orders(in_shop_a):
    # given 3 small tees on hand, 2 of them held by an unpaid order
    complete_product("Linen Tee", sku="TEE")
    small = Variant.objects.get(sku="TEE-S")
    stock_hold(variant=small, quantity=2)
    feed = connection_create(channel="meta")
    db_connection.set_schema_to_public()

    # when the feed is read, and again once the last one is held too
    _, body = fetch("alpha", "meta", "csv", feed.feed_token)
    with tenant_context(in_shop_a):
        stock_hold(variant=Variant.objects.get(sku="TEE-S"), quantity=1)
    db_connection.set_schema_to_public()
    _, body_after = fetch("alpha", "meta", "csv", feed.feed_token)

    # then the feed offers what is available: 1, then none
    def small_row(text: str) -> tuple[str, str]:
        rows, _ = feed_problems("meta", "csv", text)
        row = next(r for r in rows if r["id"].endswith(f"-{small.pk}"))
        return row["availability"], row["quantity_to_sell_on_facebook"]

    assert small_row(body) == ("in stock", "1")
    assert small_row(body_after) == ("out of stock", "0")


def _feed_path(channel: str = "meta", file_format: str = "xml") -> str:
    return f"/feeds/{channel}.{file_format}"


@pytest.mark.parametrize(
    "if_none_match",
    ["W/{etag}", '"0000", W/{etag}', 'W/"1111",{etag}', "*"],
    ids=["weak", "list-weak", "list-strong", "star"],
)
def test_feed_answers_304_on_a_matching_weak_etag_a_list_or_star(in_shop_a, if_none_match):
    # given
    complete_product()
    meta = connection_create(channel="meta")
    db_connection.set_schema_to_public()
    first, _ = fetch("alpha", "meta", "xml", meta.feed_token)

    # when
    header = if_none_match.format(etag=first["ETag"])
    again, body = fetch("alpha", "meta", "xml", meta.feed_token, HTTP_IF_NONE_MATCH=header)
    other, _ = fetch("alpha", "meta", "xml", meta.feed_token, HTTP_IF_NONE_MATCH='"0", W/"1"')

    # then
    assert first["ETag"].startswith('"')  # strong on the identity answer
    assert again.status_code == 304 and body == ""
    assert again["ETag"] == first["ETag"]
    assert again["Last-Modified"] == first["Last-Modified"]
    assert other.status_code == 200


def test_feed_answers_304_when_not_modified_since_and_if_none_match_wins(in_shop_a):
    # given
    complete_product()
    meta = connection_create(channel="meta")
    db_connection.set_schema_to_public()
    first, _ = fetch("alpha", "meta", "csv", meta.feed_token)
    since = first["Last-Modified"]

    # when
    unchanged, _ = fetch("alpha", "meta", "csv", meta.feed_token, HTTP_IF_MODIFIED_SINCE=since)
    older, body = fetch(
        "alpha", "meta", "csv", meta.feed_token, HTTP_IF_MODIFIED_SINCE=http_date(0)
    )
    # RFC 9110: If-Modified-Since is ignored when If-None-Match is sent
    stale_tag, _ = fetch(
        "alpha",
        "meta",
        "csv",
        meta.feed_token,
        HTTP_IF_MODIFIED_SINCE=since,
        HTTP_IF_NONE_MATCH='"stale"',
    )

    # then
    assert unchanged.status_code == 304
    assert older.status_code == 200 and "Linen Tee" in body
    assert stale_tag.status_code == 200


@pytest.mark.parametrize("accept_encoding", ["", "gzip, deflate, br"])
def test_feed_head_answers_the_headers_of_get_without_a_body(
    in_shop_a, accept_encoding, django_assert_max_num_queries
):
    # given
    complete_product()
    meta = connection_create(channel="meta")
    db_connection.set_schema_to_public()
    client = client_for("alpha", HTTP_ACCEPT_ENCODING=accept_encoding)
    query = {"token": meta.feed_token}

    # when
    got = client.get(_feed_path(), query)
    b"".join(got.streaming_content)
    with django_assert_max_num_queries(8):  # the feed itself is never read for HEAD
        head = client.head(_feed_path(), query)
    head_body = b"".join(head.streaming_content) if head.streaming else head.content
    not_found = client.head(_feed_path(), {"token": "wrong"})

    # then
    assert head.status_code == got.status_code == 200
    assert dict(head.headers) == dict(got.headers)
    assert got["Content-Type"] == "application/xml; charset=utf-8"
    assert head_body == b""
    assert ("Content-Encoding" in got) is bool(accept_encoding)
    assert not_found.status_code == 404


def test_feed_gzipped_decompresses_to_the_identity_body_in_every_format(in_shop_a):
    # given
    for number in range(3):
        complete_product(f"Tee {number}", sku=f"TEE{number}")
    connections = {channel: connection_create(channel=channel) for channel in FORMATS}
    db_connection.set_schema_to_public()
    zipping = client_for("alpha", HTTP_ACCEPT_ENCODING="gzip")

    for channel, file_format in FEEDS:
        query = {"token": connections[channel].feed_token}
        # when
        zipped = zipping.get(_feed_path(channel, file_format), query)
        _, plain_body = fetch("alpha", channel, file_format, connections[channel].feed_token)
        compressed = b"".join(zipped.streaming_content)

        # then
        assert zipped["Content-Encoding"] == "gzip", (channel, file_format)
        assert zipped["Vary"] == "Accept-Encoding"
        assert gzip.decompress(compressed).decode() == plain_body
        assert len(compressed) < len(plain_body.encode())


CONTROL = "".join(map(chr, [*range(0x00, 0x09), *range(0x0B, 0x0D), *range(0x0E, 0x20)]))
CONTROL += "".join(map(chr, range(0x7F, 0xA0)))


@pytest.mark.parametrize(("channel", "file_format"), FEEDS)
def test_feed_text_fields_carry_no_control_characters(in_shop_a, channel, file_format):
    # given a product whose title, brand and description were pasted with control chars
    # (all but U+0000, which PostgreSQL's text never holds)
    pasted = CONTROL.replace("\x00", "")
    complete_product(
        f"Linen\x01 Tee\x0b{pasted}",
        brand="Eta\x7flage\x85",
        description=f"Soft linen\x9f.\r\nWashed{pasted}\tdried.",
    )
    feed = connection_create(channel=channel)
    db_connection.set_schema_to_public()

    # when
    response, body = fetch("alpha", channel, file_format, feed.feed_token)

    # then
    assert response.status_code == 200
    assert not set(body) & set(CONTROL)
    assert "\r" not in body
    rows, problems = feed_problems(channel, file_format, body)
    assert problems == [] and len(rows) == 2
    assert {row["title"] for row in rows} == {"Linen Tee"}
    assert {row["brand"] for row in rows} == {"Etalage"}
    # the description is HTML made plain text (its whitespace folded by items.py)
    assert " ".join(rows[0]["description"].split()) == "Soft linen. Washed dried."


def _refetched(token: str, previous, slug: str = "alpha"):
    """The Google feed fetched again with ``previous``'s ETag, and with its date."""
    db_connection.set_schema_to_public()
    by_tag, body = fetch(slug, "google", "csv", token, HTTP_IF_NONE_MATCH=previous["ETag"])
    by_date, _ = fetch(
        slug, "google", "csv", token, HTTP_IF_MODIFIED_SINCE=previous["Last-Modified"]
    )
    return by_tag, by_date, body


def test_a_shipping_rate_change_moves_the_feeds_etag_and_last_modified(
    in_shop_a, django_capture_on_commit_callbacks
):
    # given: a Google feed fetched once, with the shop's shipping to France
    europe = shipping_zone_create(name="Europe", countries=["FR"])
    rate = shipping_rate_create(zone=europe, name="Standard", price="4.90")
    complete_product()
    google = connection_create(channel="google")
    db_connection.set_schema_to_public()
    first, _ = fetch("alpha", "google", "csv", google.feed_token)
    time.sleep(1.1)  # Last-Modified counts whole seconds

    # when: the rate's price changes (no product changes)
    with tenant_context(in_shop_a), django_capture_on_commit_callbacks(execute=True):
        shipping_rate_update(rate=rate, price="6.50")
    by_tag, by_date, body = _refetched(google.feed_token, first)

    # then: neither the ETag nor the date says "unchanged", and the new price is there
    assert by_tag.status_code == 200 and by_tag["ETag"] != first["ETag"]
    assert by_date.status_code == 200
    assert "FR:::6.50 EUR" in body

    # and a deleted rate (no row left whose date would move) changes them too
    time.sleep(1.1)
    with tenant_context(in_shop_a), django_capture_on_commit_callbacks(execute=True):
        shipping_rate_delete(rate=rate)
    after_tag, after_date, body = _refetched(google.feed_token, by_tag)
    assert after_tag.status_code == 200 and after_tag["ETag"] != by_tag["ETag"]
    assert after_date.status_code == 200
    assert "FR:::6.50 EUR" not in body


def test_a_shipping_change_in_one_shop_leaves_another_shops_feed_unchanged(
    shop_a, shop_b, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    with tenant_context(shop_b):
        complete_product("Beta Mug", sku="BMUG")
        token_b = connection_create(channel="google").feed_token
    db_connection.set_schema_to_public()
    first_b, _ = fetch("beta", "google", "csv", token_b)

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        shipping_zone_create(name="Europe", countries=["FR"])
    time.sleep(1.1)  # Last-Modified counts whole seconds
    by_tag, by_date, _ = _refetched(token_b, first_b, slug="beta")

    assert by_tag.status_code == 304
    assert by_date.status_code == 304
