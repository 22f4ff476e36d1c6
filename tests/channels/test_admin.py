"""The merchant's channel pages: connect (token stored encrypted), test the connection,
pause and resume, and the per-channel view (counts, rejected items with the reason and
a link to fix, products left out, feed URLs)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from shops.channels.clients import RetryableError
from shops.channels.models import ChannelItem, Connection
from shops.channels.services import (
    connection_access_token,
    connection_create,
    tiktok_credentials,
)
from shops.channels.sync import connection_reconcile, connection_sync
from tests.channels.conftest import complete_product
from tests.conftest import owner_client


def connect(client: Client, fake, token: str) -> None:
    response = client.post(
        "/admin/channels/connection/add/",
        {
            "channel": "meta",
            "access_token": token,
            "external_id": fake.catalog_id,
            "country": "FR",
            "language": "fr",
            "selection": "all",
            "tag": "",
            "is_enabled": "on",
        },
    )
    assert response.status_code == 302, re.findall(
        r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S
    )


def test_connecting_stores_the_token_encrypted_and_test_connection_says_what_is_wrong(
    shop_a, fake_meta
):
    client = owner_client()
    connect(client, fake_meta, "expired-token")
    with tenant_context(shop_a):
        connection = Connection.objects.get(channel="meta")
        stored = connection.credentials_encrypted
        decrypted = connection_access_token(connection)
    db_connection.set_schema_to_public()

    response = client.post(
        "/admin/channels/connection/",
        {"action": "test_connection", "_selected_action": [connection.pk]},
        follow=True,
    )

    assert "expired-token" not in stored
    assert decrypted == "expired-token"
    assert "Meta refused the access token: Invalid OAuth access token" in response.content.decode()


def test_the_channel_page_shows_counts_rejections_with_a_fix_link_and_left_out_products(
    shop_a, fake_meta, media
):
    client = owner_client()
    connect(client, fake_meta, fake_meta.token)
    with tenant_context(shop_a):
        connection = Connection.objects.get(channel="meta")
        good = complete_product("Linen Tee", sku="TEE")
        complete_product("Nameless", sku="NOBRAND", brand="", gtin="", mpn="")
        bad = complete_product("Wool Scarf", sku="SCARF")
        connection_sync(connection_id=connection.pk)
        ChannelItem.objects.filter(product_id=bad.pk).update(
            state="rejected", message="Image could not be downloaded (HTTP 404)."
        )
    db_connection.set_schema_to_public()

    page = client.get(f"/admin/channels/connection/{connection.pk}/change/").content.decode()

    box = page.split('id="channel-sync"')[1].split("</noscript>")[0]  # the sync box
    assert '<strong data-field="live">2</strong>' in box
    assert '<strong data-field="rejected">2</strong>' in box
    assert '<strong data-field="status">Active</strong>' in box
    rejected = box.split('data-field="rejected_items"')[1]
    assert "Image could not be downloaded (HTTP 404)." in rejected
    assert f"/admin/catalog/product/{bad.pk}/change/" in rejected
    assert f"{good.pk}-" not in rejected
    assert "Nameless" in page and "Missing brand and GTIN" in page
    assert f"/feeds/meta.csv?token={connection.feed_token}" in page
    # shown once, in the live box: no second, reload-only copy further down
    assert page.count("Image could not be downloaded (HTTP 404).") == 2  # 2 variants
    assert "field-counts" not in page and "field-last_error" not in page


def test_pause_keeps_changes_waiting_and_resume_sends_them(shop_a, fake_meta, media):
    client = owner_client()
    connect(client, fake_meta, fake_meta.token)
    with tenant_context(shop_a):
        connection = Connection.objects.get(channel="meta")
    db_connection.set_schema_to_public()
    client.post(
        "/admin/channels/connection/", {"action": "pause", "_selected_action": [connection.pk]}
    )
    with tenant_context(shop_a):
        complete_product()
        paused = connection_sync(connection_id=connection.pk)
        Connection.objects.filter(pk=connection.pk).update(status="active")
        resumed = connection_sync(connection_id=connection.pk)

    assert (paused.items, resumed.items) == (0, 2)
    assert len(fake_meta.items) == 2


def test_connecting_tiktok_asks_for_all_its_credentials_stores_them_encrypted_and_tests_them(
    shop_a, fake_tiktok
):
    client = owner_client()
    form = {
        "channel": "tiktok",
        "access_token": fake_tiktok.token,
        "external_id": "",
        "country": "US",
        "language": "en",
        "selection": "all",
        "tag": "",
        "is_enabled": "on",
        "tiktok_app_key": fake_tiktok.app_key,
    }
    incomplete = client.post("/admin/channels/connection/add/", form).content.decode()
    response = client.post(
        "/admin/channels/connection/add/",
        {
            **form,
            "tiktok_app_secret": fake_tiktok.app_secret,
            "tiktok_shop_cipher": fake_tiktok.shop_cipher,
            "tiktok_warehouse_id": fake_tiktok.warehouse_id,
            "tiktok_category_id": fake_tiktok.category_id,
        },
    )
    with tenant_context(shop_a):
        connection = Connection.objects.get(channel="tiktok")
        stored = connection.credentials_encrypted
        credentials = tiktok_credentials(connection)
    db_connection.set_schema_to_public()
    page = client.get(f"/admin/channels/connection/{connection.pk}/change/").content.decode()
    tested = client.post(
        "/admin/channels/connection/",
        {"action": "test_connection", "_selected_action": [connection.pk]},
        follow=True,
    ).content.decode()

    assert "Enter the TikTok Shop app secret, shop cipher, warehouse id, category id" in incomplete
    assert response.status_code == 302
    assert credentials["app_secret"] == fake_tiktok.app_secret
    assert fake_tiktok.app_secret not in stored and fake_tiktok.token not in stored
    assert fake_tiktok.app_secret not in page and fake_tiktok.token not in page
    assert f'value="{fake_tiktok.warehouse_id}"' in page  # the settings are shown back
    assert "TikTok: Connected to “Etalage Test Shop”." in tested


def test_sync_now_checks_every_item_and_the_status_reports_the_result(
    shop_a, fake_meta, media, django_capture_on_commit_callbacks
):
    client = owner_client()
    connect(client, fake_meta, fake_meta.token)
    with tenant_context(shop_a):
        connection = Connection.objects.get(channel="meta")
        for number in range(3):
            complete_product(f"Tee {number}", sku=f"TEE{number}")
    db_connection.set_schema_to_public()
    page = client.get(f"/admin/channels/connection/{connection.pk}/change/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):  # the queued sync runs here
        response = client.post(f"/admin/channels/connection/{connection.pk}/sync-now/", follow=True)
    status = client.get(f"/admin/channels/connection/{connection.pk}/sync-status/").json()

    assert 'id="sync-progress"' in page and "Sync now" in page
    assert "Sync started: 6 items to check." in response.content.decode()
    assert status == {
        "state": "done",
        "summary": "Sync done: 6 live, 0 pending, 0 rejected.",
        "total": 6,
        "done": 6,
        "percent": 100,
        "live": 6,
        "pending": 0,
        "rejected": 0,
        "status": "Active",
        "last_error": "",
        "last_sync_at": status["last_sync_at"],
        "last_reconcile_at": status["last_reconcile_at"],
        "rejected_items": [],
    }
    assert status["last_reconcile_at"]
    assert status["last_sync_at"] and len(fake_meta.items) == 6
    assert client.get(f"/admin/channels/connection/{connection.pk}/sync-now/").status_code == 405


def test_sync_now_on_a_paused_channel_says_so_and_sends_nothing(shop_a, fake_meta, media):
    client = owner_client()
    connect(client, fake_meta, fake_meta.token)
    with tenant_context(shop_a):
        connection = Connection.objects.get(channel="meta")
        complete_product()
        Connection.objects.filter(pk=connection.pk).update(status="paused")
    db_connection.set_schema_to_public()

    response = client.post(f"/admin/channels/connection/{connection.pk}/sync-now/", follow=True)

    assert "This channel is paused: resume it to sync." in response.content.decode()
    assert fake_meta.items == {}


def test_the_sync_status_of_shop_a_never_shows_shop_bs_connection(shop_a, shop_b, fake_meta):
    # given: a connection in each shop, B's at an id that A has none at (ids are per schema)
    with tenant_context(shop_a):
        ours = connection_create(channel="meta")
        only_b_has = ours.pk + 1  # above A's newest
    with tenant_context(shop_b):
        theirs = connection_create(channel="pinterest")
        Connection.objects.filter(pk=theirs.pk).update(
            id=only_b_has, last_error="Beta's secret failure", sync_total=9, sync_done=4
        )
        assert Connection.objects.filter(pk=only_b_has, last_error__startswith="Beta").exists()
    with tenant_context(shop_a):
        assert not Connection.objects.filter(pk=only_b_has).exists()
    db_connection.set_schema_to_public()
    client = owner_client("alpha")

    # when
    mine = client.get(f"/admin/channels/connection/{ours.pk}/sync-status/")
    not_mine = client.get(f"/admin/channels/connection/{only_b_has}/sync-status/")
    anonymous = Client(HTTP_HOST="alpha.localhost").get(
        f"/admin/channels/connection/{ours.pk}/sync-status/"
    )
    b_owner_on_a = owner_client("beta")
    b_owner_on_a.defaults["HTTP_HOST"] = "alpha.localhost"
    cross = b_owner_on_a.get(f"/admin/channels/connection/{ours.pk}/sync-status/")

    # then
    assert mine.status_code == 200
    assert "Beta" not in mine.content.decode() and mine.json()["total"] == 0
    assert not_mine.status_code == 404 and "Beta" not in not_mine.content.decode()
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    assert cross.status_code == 302  # B's session is not a session on A


def test_without_javascript_the_page_reloads_while_a_sync_runs(shop_a):
    with tenant_context(shop_a):
        connection = connection_create(channel="meta", access_token="meta-token")
        Connection.objects.filter(pk=connection.pk).update(sync_total=6, sync_done=2)
    db_connection.set_schema_to_public()
    client = owner_client()
    url = f"/admin/channels/connection/{connection.pk}/change/"

    running = client.get(url).content.decode()
    with tenant_context(shop_a):
        Connection.objects.filter(pk=connection.pk).update(sync_done=6)
    db_connection.set_schema_to_public()
    finished = client.get(url).content.decode()

    refresh = '<noscript><meta http-equiv="refresh" content="3"></noscript>'
    assert refresh in running and "Syncing: 2 of 6 items checked (33%)." in running
    assert refresh not in finished and "Sync done: 0 live, 0 pending, 0 rejected." in finished


def test_a_sync_whose_worker_died_says_where_it_stopped_and_may_be_started_again(
    shop_a, fake_meta, media, settings, django_capture_on_commit_callbacks
):
    settings.CHANNELS_BATCH_ITEMS_MAX = 2
    with tenant_context(shop_a):  # 6 variants, none sent yet (no connection then)
        for number in range(3):
            complete_product(f"Tee {number}", sku=f"TEE{number}")
    db_connection.set_schema_to_public()
    client = owner_client()
    connect(client, fake_meta, fake_meta.token)
    with tenant_context(shop_a):
        connection = Connection.objects.get(channel="meta")
        # the worker checks the first batch, then dies in the second one: its progress
        # stays at 2 of 6 and no task is delivered again to finish it
        fake_meta.script = [None, ("500",)]
        with pytest.raises(RetryableError):
            connection_reconcile(connection_id=connection.pk)
    db_connection.set_schema_to_public()
    status_url = f"/admin/channels/connection/{connection.pk}/sync-status/"
    page_url = f"/admin/channels/connection/{connection.pk}/change/"
    sync_now_url = f"/admin/channels/connection/{connection.pk}/sync-now/"

    just_now = client.get(status_url).json()
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(sync_now_url, follow=True).content.decode()
        refused_action = client.post(
            "/admin/channels/connection/",
            {"action": "sync_now", "_selected_action": [connection.pk]},
            follow=True,
        ).content.decode()
    batches_after_refusal = len(fake_meta.batches)
    with tenant_context(shop_a):  # the stall delay passes without progress
        stopped_at = timezone.now() - timedelta(minutes=settings.CHANNELS_SYNC_STALL_MINUTES + 1)
        Connection.objects.filter(pk=connection.pk).update(sync_progress_at=stopped_at)
    db_connection.set_schema_to_public()
    stalled = client.get(status_url).json()
    page = client.get(page_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the queued sync runs here
        started = client.post(sync_now_url, follow=True).content.decode()
    finished = client.get(status_url).json()

    assert (just_now["state"], just_now["done"], just_now["total"]) == ("running", 2, 6)
    running = "A sync is already running (2 of 6 items checked): wait for it to finish."
    assert running in refused and f"Meta: {running}" in refused_action
    assert batches_after_refusal == 1  # the refused click queued nothing
    message = (
        "The last sync stopped at 2/6 without finishing (the worker may have stopped); "
        "start it again."
    )
    assert (stalled["state"], stalled["summary"], stalled["done"]) == ("stalled", message, 2)
    assert message in page
    assert re.search(r'<button type="submit" class="button"\s*>Sync now</button>', page)
    assert '<noscript><meta http-equiv="refresh"' not in page  # nothing to wait for
    assert "Sync started: 6 items to check." in started
    assert (finished["state"], finished["done"], finished["total"]) == ("done", 6, 6)
    assert len(fake_meta.items) == 6 and len(fake_meta.batches) == 3  # the 4 left, by 2


def test_the_products_readiness_in_the_catalog_checks_the_links_the_channels_send(
    shop_a, media, settings
):
    with tenant_context(shop_a):
        product = complete_product("Long Name", sku="LONG", slug="x" * 255)
    db_connection.set_schema_to_public()
    client = owner_client()
    url = f"/admin/catalog/product/{product.pk}/change/"

    short = client.get(url).content.decode()
    settings.PLATFORM_DOMAIN = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 40, "example"])
    long = client.get(url).content.decode()

    assert "Link is longer than" not in short
    assert (
        "<strong>Pinterest</strong>: Not listed: Link is longer than 511 characters: shorten "
        "the product&#x27;s URL name (slug).</li>"
    ) in long
    assert "<strong>Meta</strong>: Ready" in long


def test_the_products_readiness_in_the_catalog_checks_the_image_links_the_channels_send(
    shop_a, media, settings
):
    with tenant_context(shop_a):
        product = complete_product()
    db_connection.set_schema_to_public()
    client = owner_client()
    url = f"/admin/catalog/product/{product.pk}/change/"

    short = client.get(url).content.decode()
    settings.MEDIA_URL = f"/{'m' * 2000}/"
    long = client.get(url).content.decode()

    message = (
        "Not listed: An image&#x27;s address is longer than 2,000 characters: give the image "
        "file a shorter name (upload it again) or use a shorter shop domain.</li>"
    )
    assert "image&#x27;s address" not in short
    for channel in ("Meta", "Pinterest", "Google"):
        assert f"<strong>{channel}</strong>: {message}" in long
    assert "<strong>TikTok</strong>: Ready" in long  # TikTok's images are uploaded
