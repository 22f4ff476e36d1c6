"""The merchant's channel pages: connect (token stored encrypted), test the connection,
pause and resume, and the per-channel view (counts, rejected items with the reason and
a link to fix, products left out, feed URLs)."""

from __future__ import annotations

import re

import pytest
from django.db import connection as db_connection
from django.test import Client
from django_tenants.utils import tenant_context

from shops.channels.models import ChannelItem, Connection
from shops.channels.services import connection_access_token
from shops.channels.sync import connection_sync
from tests.channels.conftest import complete_product
from tests.conftest import SHOP_PASSWORD


def owner_client(slug: str = "alpha") -> Client:
    client = Client(HTTP_HOST=f"{slug}.localhost")
    client.post("/admin/login/", {"username": f"owner@{slug}.test", "password": SHOP_PASSWORD})
    return client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def connect(client: Client, fake, token: str) -> None:
    response = client.post(
        "/admin/channels/connection/add/",
        {"channel": "meta", "access_token": token, "external_id": fake.catalog_id,
         "country": "FR", "language": "fr", "selection": "all", "tag": "", "is_enabled": "on"},
    )  # fmt: skip
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

    assert "2 / 0 / 2" in page  # live / pending / rejected
    assert "Image could not be downloaded (HTTP 404)." in page
    assert f"/admin/catalog/product/{bad.pk}/change/" in page
    assert "Nameless" in page and "Missing brand and GTIN" in page
    assert f"/feeds/meta.csv?token={connection.feed_token}" in page
    assert f"{good.pk}-" not in page.split("Rejected items")[1].split("Left out")[0]


def test_pause_keeps_changes_waiting_and_resume_sends_them(shop_a, fake_meta, media):
    client = owner_client()
    connect(client, fake_meta, fake_meta.token)
    with tenant_context(shop_a):
        connection = Connection.objects.get(channel="meta")
    db_connection.set_schema_to_public()
    client.post("/admin/channels/connection/",
                {"action": "pause", "_selected_action": [connection.pk]})  # fmt: skip
    with tenant_context(shop_a):
        complete_product()
        paused = connection_sync(connection_id=connection.pk)
        Connection.objects.filter(pk=connection.pk).update(status="active")
        resumed = connection_sync(connection_id=connection.pk)

    assert (paused.items, resumed.items) == (0, 2)
    assert len(fake_meta.items) == 2
