"""A connection just made or remade (a pasted token, the platform's login, a reconnect)
is reconciled whole at once, queued once, with its progress on the channel page as
after "Sync now": its products do not wait for a catalog change or the 6-hourly
reconcile."""

from __future__ import annotations

import functools

from django.db import connection as db_connection
from django_tenants.utils import tenant_context

from shops.channels.models import Connection
from shops.channels.oauth import oauth_connect
from shops.channels.services import SYNC_TASK, connection_create
from shops.queueing import task_queue
from tests.channels.conftest import complete_product, consent
from tests.channels.test_admin import connect
from tests.channels.test_oauth import come_back, connected, started
from tests.conftest import owner_client


def syncs_queued(callbacks) -> list[tuple]:
    """The syncs the captured on-commit callbacks would queue (their arguments)."""
    return [
        callback.args[1:]
        for callback in callbacks
        if isinstance(callback, functools.partial)
        and callback.func is task_queue
        and callback.args[0].name == SYNC_TASK
    ]


def test_a_pasted_token_connection_syncs_the_catalog_at_once_with_its_progress_shown(
    shop_a, fake_meta, media, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a):
        for number in range(3):
            complete_product(f"Tee {number}", sku=f"TEE{number}")
    db_connection.set_schema_to_public()
    client = owner_client()

    with django_capture_on_commit_callbacks() as callbacks:
        connect(client, fake_meta, fake_meta.token)
    with tenant_context(shop_a):
        connection = Connection.objects.get(channel="meta")
    db_connection.set_schema_to_public()
    page = client.get(f"/admin/channels/connection/{connection.pk}/change/")
    status = client.get(f"/admin/channels/connection/{connection.pk}/sync-status/").json()

    assert syncs_queued(callbacks) == [(connection.pk, True)]
    assert (status["state"], status["done"], status["total"]) == ("running", 0, 6)
    assert 'id="sync-progress"' in page.content.decode()

    for callback in callbacks:  # the queued reconcile runs (eager in tests)
        callback()
    status = client.get(f"/admin/channels/connection/{connection.pk}/sync-status/").json()
    assert len(fake_meta.items) == 6
    assert (status["state"], status["live"]) == ("done", 6)


def test_the_add_page_lands_on_the_channel_page_saying_the_first_sync_started(
    shop_a, fake_meta, media
):
    with tenant_context(shop_a):
        complete_product("Tee", sku="TEE")
    db_connection.set_schema_to_public()
    client = owner_client()
    response = client.post(
        "/admin/channels/connection/add/",
        {
            "channel": "meta",
            "access_token": fake_meta.token,
            "external_id": fake_meta.catalog_id,
            "country": "FR",
            "language": "fr",
            "selection": "all",
            "tag": "",
            "is_enabled": "on",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0].endswith("/change/")
    assert "its first sync is under way (2 items to check)" in response.content.decode()


def test_a_feed_only_connection_gets_no_sync(in_shop_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        connection_create(channel="meta", is_feed_only=True)
    assert syncs_queued(callbacks) == []


def test_the_login_queues_exactly_one_first_sync(
    in_shop_a, meta_login, django_capture_on_commit_callbacks
):
    complete_product("Tee", sku="TEE")
    with django_capture_on_commit_callbacks() as callbacks:
        connection = connected("meta", "9876543210")
    assert syncs_queued(callbacks) == [(connection.pk, True)]
    assert (connection.sync_done, connection.sync_total) == (0, 2)


def test_reconnecting_a_feed_only_or_refused_connection_queues_exactly_one_sync(
    in_shop_a, meta_login, django_capture_on_commit_callbacks
):
    complete_product("Tee", sku="TEE")
    feed_only = connection_create(channel="meta", is_feed_only=True)
    for before in ("feed only", "reconnect"):
        if before == "reconnect":
            Connection.objects.filter(pk=feed_only.pk).update(
                status=Connection.Status.RECONNECT, last_error="gone"
            )
        attempt = come_back(consent(started("meta")))
        with django_capture_on_commit_callbacks() as callbacks:
            connection = oauth_connect(
                attempt=attempt, destination_id="9876543210", country="FR", language="fr"
            )
        assert syncs_queued(callbacks) == [(feed_only.pk, True)], before
        connection.refresh_from_db()
        assert connection.status == Connection.Status.ACTIVE
        assert (connection.sync_done, connection.sync_total) == (0, 2)
